"""Every API route that takes an id in its path answers 404 to a user who may not see the
object, whatever its method. Routes are read from the router, so new ones are covered."""

import datetime

import pytest
from django.utils import timezone

from voronka.activities.services import call_log, task_create
from voronka.api.main import api as ninja_api
from voronka.crm.services import company_create, contact_create
from voronka.deals.services import deal_contact_attach

from ..factories import make_deal
from .conftest import Api

# A valid body per write route, so the answer is about visibility, not about the body.
BODIES = {
    ("PATCH", "/deals/{id}"): {"title": "x"},
    ("POST", "/deals/{id}/move"): {"to_stage_id": "{stage}"},
    ("POST", "/deals/{id}/win"): {},
    ("POST", "/deals/{id}/archive"): {"reason_id": "{reason}"},
    ("POST", "/deals/{id}/reopen"): {},
    ("POST", "/deals/{id}/correct"): {"to_stage_id": "{stage}", "reason": "typo"},
    ("POST", "/deals/{id}/facts"): {"requirement_id": "{requirement}"},
    ("POST", "/deals/{id}/contacts"): {"contact_id": "{contact}"},
    ("POST", "/deals/{id}/payments"): {"amount": "10"},
    ("PATCH", "/contacts/{id}"): {"position": "CEO"},
    ("PATCH", "/companies/{id}"): {"address": "Москва"},
    ("POST", "/tasks/{id}/complete"): {"result": "ok"},
}


def id_routes():
    for prefix, router in ninja_api._routers:
        for path, view in router.path_operations.items():
            if "{" not in path:
                continue
            for op in view.operations:
                for method in op.methods:
                    yield method, (prefix.rstrip("/") + path)


@pytest.fixture
def world(manager, pipeline, stages):
    now = timezone.now()
    company = company_create(actor=manager, name="ООО Ромашка")
    contact = contact_create(actor=manager, full_name="Иван Петров", phones=["+79161234567"])
    deal = make_deal(pipeline, manager, company=company)
    deal_contact_attach(deal=deal, contact=contact, role="decision_maker", actor=manager)
    task = task_create(actor=manager, deal=deal, text="Договориться о встрече",
                       due_at=now + datetime.timedelta(days=1))
    call = call_log(actor=manager, direction="inbound", phone="+79161234567", started_at=now,
                    duration_seconds=60, deal=deal, contact=contact)
    ids = {"pipelines": pipeline.pk, "deals": deal.pk, "contacts": contact.pk,
           "companies": company.pk, "tasks": task.pk, "calls": call.pk}
    extra = {"stage": stages[1].pk, "reason": pipeline.loss_reasons.first().pk,
             "requirement": stages[1].requirements.first().pk, "contact": contact.pk}
    return ids, extra


def _call(client: Api, method: str, path: str, ids: dict, extra: dict):
    resource = path.split("/")[1]
    assert resource in ids, f"add an object for /{resource} routes to the world fixture"
    url = path.replace("{id}", str(ids[resource])).replace("{contact_id}", str(ids["contacts"]))
    assert "{" not in url, f"fill the path parameters of {path}"
    body = None
    if method in ("POST", "PATCH"):
        assert (method, path) in BODIES, f"add a valid body for {method} {path}"
        body = {k: (extra[v[1:-1]] if isinstance(v, str) and v.startswith("{") else v)
                for k, v in BODIES[(method, path)].items()}
    return getattr(client, method.lower())(path=url, **({"body": body} if body is not None
                                                        else {}))


def test_routes_are_enumerated():
    routes = list(id_routes())
    assert len(routes) >= 20
    assert ("POST", "/deals/{id}/move") in routes


def test_outsider_gets_404_on_every_id_route(world, manager, outsider, head):
    ids, extra = world
    stranger, owner = Api(outsider), Api(manager)
    for method, path in id_routes():
        r = _call(stranger, method, path, ids, extra)
        assert r.status_code == 404, (method, path, r.status_code, r.content)
        assert r.json()["code"] == "not_found"
    # The same requests from the owner are not 404: the path and bodies are right.
    for method, path in id_routes():
        r = _call(owner, method, path, ids, extra)
        assert r.status_code != 404, (method, path, r.content)


def test_colleague_manager_sees_no_other_managers_deal(world, manager2):
    ids, _extra = world
    other = Api(manager2)
    assert other.get(f"/deals/{ids['deals']}").status_code == 404
    assert other.get("/deals").json()["items"] == []
