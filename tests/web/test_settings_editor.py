"""The pipeline editor beyond adding: a new pipeline's loss reasons, renaming the pipeline,
renaming and retiring loss reasons, renaming custom fields and editing their choices, the
warning before reordering stages that hold deals, and an archive dialog with no reasons."""

from decimal import Decimal

import pytest
from django.urls import reverse

from voronka.deals.services import deal_archive
from voronka.pipelines.models import CustomField, LossReason, Pipeline
from voronka.pipelines.services import custom_field_create

from ..factories import make_deal, make_pipeline
from .conftest import login


def editor(client, pipeline) -> str:
    return client.get(reverse("web:pipeline_edit", args=[pipeline.pk])).content.decode()


def test_a_new_pipeline_starts_with_the_loss_reasons_of_its_form(head, team):
    client = login(head)
    page = client.get(reverse("web:pipeline_new")).content.decode()
    assert "Too expensive" in page and "Chose a competitor" in page
    r = client.post(reverse("web:pipeline_new"), {
        "name": "Сервис", "team": str(team.pk),
        "loss_reasons": "Дорого\n\n  Выбрали конкурента  \nДорого"})
    assert r.status_code == 422  # the duplicate names the field; nothing is created
    assert "This reason already exists." in r.content.decode()
    assert not Pipeline.objects.filter(name="Сервис").exists()
    r = client.post(reverse("web:pipeline_new"), {
        "name": "Сервис", "team": str(team.pk), "loss_reasons": "Дорого\n  Выбрали конкурента "})
    assert r.status_code == 302
    pipeline = Pipeline.objects.get(name="Сервис")
    assert list(pipeline.loss_reasons.values_list("name", flat=True)) == [
        "Дорого", "Выбрали конкурента"]


def test_a_pipeline_without_reasons_is_flagged_and_its_deals_say_why_they_cannot_be_archived(
        head, team, manager):
    client = login(head)
    client.post(reverse("web:pipeline_new"), {"name": "Сервис", "team": str(team.pk),
                                              "loss_reasons": ""})
    pipeline = Pipeline.objects.get(name="Сервис")
    assert 'data-code="no_loss_reasons"' in editor(client, pipeline)
    pipeline = make_pipeline(team, name="Без причин", reasons=[])
    deal = make_deal(pipeline, manager)
    html = login(manager).get(reverse("web:deal_archive", args=[deal.pk]),
                              HTTP_HX_REQUEST="true").content.decode()
    assert "The pipeline has no loss reasons yet" in html
    assert 'class="btn btn-danger" disabled' in html


def test_renaming_the_pipeline(head, pipeline, team):
    make_pipeline(team, name="Сервис")
    client = login(head)
    url = reverse("web:pipeline_rename", args=[pipeline.pk])
    r = client.post(url, {"name": "Сервис"})
    assert r.status_code == 422 and "already has a pipeline with this name" in r.content.decode()
    assert client.post(url, {"name": "  Опт  "}).status_code == 302
    pipeline.refresh_from_db()
    assert pipeline.name == "Опт"


def test_renaming_retiring_and_restoring_a_loss_reason(head, pipeline, manager):
    client = login(head)
    expensive, other = pipeline.loss_reasons.order_by("position")
    url = reverse("web:reason_edit", args=[expensive.pk])
    r = client.post(url, {f"lr{expensive.pk}-name": other.name})
    assert r.status_code == 422 and "This reason already exists." in r.content.decode()
    assert client.post(url, {f"lr{expensive.pk}-name": "Дорого для клиента"}).status_code == 302
    expensive.refresh_from_db()
    assert expensive.name == "Дорого для клиента"

    lost = make_deal(pipeline, manager)
    deal_archive(deal=lost, actor=manager, reason=expensive)
    assert client.post(url, {"active": "0"}).status_code == 302
    expensive.refresh_from_db()
    assert not expensive.is_active
    assert "retired" in editor(client, pipeline)
    deal = make_deal(pipeline, manager)
    dialog = login(manager).get(reverse("web:deal_archive", args=[deal.pk]),
                                HTTP_HX_REQUEST="true").content.decode()
    assert "Дорого для клиента" not in dialog and other.name in dialog
    lost.refresh_from_db()
    assert lost.loss_reason_id == expensive.pk  # history keeps the retired reason
    assert client.post(url, {"active": "1"}).status_code == 302
    assert LossReason.objects.get(pk=expensive.pk).is_active


def test_renaming_a_field_and_editing_its_choices_keeps_its_code(head, pipeline):
    region = custom_field_create(actor=head, pipeline=pipeline, name="Регион", kind="text",
                                 code="region")
    size = custom_field_create(actor=head, pipeline=pipeline, name="Размер", kind="choice",
                               choices=["S", "M"])
    client = login(head)
    html = editor(client, pipeline)
    assert f'name="cf{size.pk}-choices"' in html and f'name="cf{region.pk}-choices"' not in html
    url = reverse("web:field_edit", args=[size.pk])
    r = client.post(url, {f"cf{size.pk}-name": "регион", f"cf{size.pk}-choices": "S"})
    assert r.status_code == 422 and "already has a field with this name" in r.content.decode()
    r = client.post(url, {f"cf{size.pk}-name": "Размер", f"cf{size.pk}-choices": " \n "})
    assert r.status_code == 422 and "at least one choice" in r.content.decode()
    r = client.post(url, {f"cf{size.pk}-name": "Размер партии",
                          f"cf{size.pk}-choices": "S\nM\n L "})
    assert r.status_code == 302
    size.refresh_from_db()
    assert (size.name, size.choices, size.code) == ("Размер партии", ["S", "M", "L"],
                                                   size.code)
    client.post(reverse("web:field_edit", args=[region.pk]),
                {f"cf{region.pk}-name": "Регион клиента", f"cf{region.pk}-choices": "x"})
    assert CustomField.objects.get(pk=region.pk).choices == []


def test_reordering_stages_that_hold_deals_asks_first(head, pipeline, stages, manager):
    client = login(head)
    assert 'data-warn=""' in editor(client, pipeline)
    make_deal(pipeline, manager)
    make_deal(pipeline, manager)
    html = editor(client, pipeline)
    assert "2 open deals" in html
    assert 'data-warn="Deals stand on these stages.' in html


@pytest.mark.parametrize("role", ["manager", "marketer"])
def test_only_heads_and_admins_change_the_pipeline(role, request, pipeline):
    client = login(request.getfixturevalue(role))
    reason = pipeline.loss_reasons.first()
    assert client.post(reverse("web:reason_edit", args=[reason.pk]),
                       {"active": "0"}).status_code == 404
    assert client.post(reverse("web:pipeline_rename", args=[pipeline.pk]),
                       {"name": "X"}).status_code == 404
    assert LossReason.objects.get(pk=reason.pk).is_active


def test_a_payment_fact_is_set_in_percent(head, pipeline, stages):
    client = login(head)
    stage = stages[2]
    url = reverse("web:requirement_add", args=[stage.pk])
    p = f"r{stage.pk}"
    assert client.post(url, {f"{p}-kind": "payment_received",
                             f"{p}-payment_share": "150"}).status_code == 422
    assert client.post(url, {f"{p}-kind": "payment_received",
                             f"{p}-payment_share": "50"}).status_code == 302
    req = stage.requirements.get(kind="payment_received")
    assert req.payment_share == Decimal("0.5")
    assert "50" in editor(client, pipeline)
