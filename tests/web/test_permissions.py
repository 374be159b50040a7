"""Every web route that takes an ID answers 404 to a user who may not see the object.

The routes are enumerated from the URL configuration: a new ID-taking route without an
entry in ROUTES fails ``test_every_id_route_is_covered``.
"""

import datetime

import pytest
from django.urls import get_resolver, reverse
from django.utils import timezone

from voronka.activities.services import task_create
from voronka.pipelines.models import StageRequirement
from voronka.pipelines.services import custom_field_create

from .conftest import login


def _web_patterns() -> dict[str, list[str]]:
    """name → the URL keyword arguments, for every pattern of the web namespace."""
    resolver = get_resolver()
    web = next(p for p in resolver.url_patterns if getattr(p, "namespace", None) == "web")
    return {p.name: list(p.pattern.converters) for p in web.url_patterns}


@pytest.fixture
def objects(pipeline, stages, manager, deal, contact, company):
    from voronka.deals.services import deal_contact_attach, deal_update

    deal_contact_attach(deal=deal, contact=contact, role="decision_maker", actor=manager)
    deal = deal_update(deal=deal, actor=manager, company=company)
    task = task_create(actor=manager, deal=deal, text="Договориться о встрече",
                       due_at=timezone.now() + datetime.timedelta(days=1))
    requirement = StageRequirement.objects.filter(stage__pipeline=pipeline).first()
    field = custom_field_create(actor=None, pipeline=pipeline, name="Region", kind="text")
    return {"reason_id": pipeline.loss_reasons.first().pk, "field_id": field.pk,
            "deal_id": deal.pk, "pipeline_id": pipeline.pk, "stage_id": stages[1].pk,
            "contact_id": contact.pk, "company_id": company.pk, "task_id": task.pk,
            "requirement_id": requirement.pk, "user_id": manager.pk}


# Route name → the kwargs it takes (values come from ``objects``).
ROUTES = {
    "board_pipeline": ["pipeline_id"],
    "board_more": ["pipeline_id", "stage_id"],
    "board_sources": ["pipeline_id"],
    "deal": ["deal_id"],
    "deal_edit": ["deal_id"],
    "deal_move": ["deal_id"],
    "deal_move_dialog": ["deal_id"],
    "deal_facts": ["deal_id"],
    "deal_win": ["deal_id"],
    "deal_archive": ["deal_id"],
    "deal_reopen": ["deal_id"],
    "deal_correct": ["deal_id"],
    "deal_confirm": ["deal_id", "requirement_id"],
    "deal_contact_add": ["deal_id"],
    "deal_contact_remove": ["deal_id", "contact_id"],
    "deal_company": ["deal_id"],
    "deal_task_add": ["deal_id"],
    "deal_note_add": ["deal_id"],
    "deal_payment_add": ["deal_id"],
    "deal_call_add": ["deal_id"],
    "task_done": ["task_id"],
    "contact": ["contact_id"],
    "company": ["company_id"],
    "pipeline_edit": ["pipeline_id"],
    "pipeline_lint": ["pipeline_id"],
    "pipeline_rename": ["pipeline_id"],
    "reason_edit": ["reason_id"],
    "field_edit": ["field_id"],
    "stage_add": ["pipeline_id"],
    "stage_order": ["pipeline_id"],
    "reason_add": ["pipeline_id"],
    "field_add": ["pipeline_id"],
    "stage_edit": ["stage_id"],
    "stage_delete": ["stage_id"],
    "requirement_add": ["stage_id"],
    "requirement_delete": ["requirement_id"],
    "user_edit": ["user_id"],
}
# Routes whose objects a colleague of the same team legitimately sees (the team's pipeline).
TEAM_VISIBLE = {"board_pipeline", "board_more", "board_sources"}


def test_every_id_route_is_covered():
    taking_ids = {name: sorted(kw) for name, kw in _web_patterns().items() if kw}
    assert taking_ids == {name: sorted(kw) for name, kw in ROUTES.items()}


def _status(client, url: str) -> int:
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, {})
    return response.status_code


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_outsider_gets_404(name, objects, outsider, manager2):
    url = reverse(f"web:{name}", kwargs={k: objects[k] for k in ROUTES[name]})
    assert _status(login(outsider), url) == 404, url
    if name not in TEAM_VISIBLE and not name.startswith(("pipeline", "stage", "reason",
                                                         "field", "requirement", "user")):
        assert _status(login(manager2), url) == 404, url


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_unknown_id_gets_404(name, objects, admin):
    url = reverse(f"web:{name}", kwargs={k: 987654 for k in ROUTES[name]})
    assert _status(login(admin), url) == 404, url


@pytest.mark.parametrize("name", ["deal", "deal_move_dialog", "deal_archive", "deal_facts",
                                  "contact", "company", "board_pipeline", "board_more"])
def test_owner_sees_the_same_urls(name, objects, manager):
    url = reverse(f"web:{name}", kwargs={k: objects[k] for k in ROUTES[name]})
    assert login(manager).get(url, HTTP_HX_REQUEST="true").status_code == 200, url


@pytest.mark.parametrize("name", ["pipeline_edit", "pipeline_lint", "user_edit"])
def test_head_manages_own_team(name, objects, head):
    url = reverse(f"web:{name}", kwargs={k: objects[k] for k in ROUTES[name]})
    assert login(head).get(url).status_code == 200, url


def test_settings_hidden_from_managers(manager):
    client = login(manager)
    for name in ("settings", "user_list", "pipeline_new"):
        assert client.get(reverse(f"web:{name}")).status_code == 404


def test_anonymous_is_sent_to_login(objects):
    from django.test import Client

    response = Client().get(reverse("web:deal", kwargs={"deal_id": objects["deal_id"]}))
    assert response.status_code == 302 and response["Location"].startswith(reverse("web:login"))
