"""The Django admin is a door like any other: its saves go through the services, so the gates,
the forward-only rule, the roles and the visibility hold there too."""

from __future__ import annotations

import datetime

import pytest
from django.forms import CheckboxInput
from django.test import Client
from django.urls import reverse

from voronka.accounts.models import User
from voronka.core.models import FieldChange
from voronka.deals import gates
from voronka.deals.models import Deal, DealFact, Payment, Transition
from voronka.deals.services import deal_move
from voronka.pipelines.models import LossReason, StageRequirement

from .factories import (
    done_task,
    make_contact,
    make_deal,
    meet,
)

pytestmark = pytest.mark.django_db


def login(user: User, lang: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    client.force_login(user)
    return client


def change_url(deal: Deal) -> str:
    return reverse("admin:deals_deal_change", args=[deal.pk])


def deal_data(deal: Deal, **changes) -> dict:
    """The deal change form as the browser would send it unchanged, plus ``changes``."""
    deal.refresh_from_db()
    data = {"title": deal.title, "stage": deal.stage_id, "budget": format(deal.budget, "f"),
            "owner": deal.owner_id, "company": deal.company_id or "", "source": deal.source,
            "expected_close_date": deal.expected_close_date or "", "version": deal.version,
            "move_comment": "", "_save": "Save"}
    for name in ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"):
        data[name] = getattr(deal, name)
    data.update(changes)
    return data


def form_payload(response) -> dict:
    """Every field of an admin change page (main form and inline rows) with its shown value."""
    data: dict = {}

    def add(form):
        for bound in form:
            if bound.field.disabled:
                continue
            value = bound.value()
            if isinstance(bound.field.widget, CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
                continue
            data[bound.html_name] = "" if value is None else getattr(value, "pk", value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for bound in formset.management_form:
            data[bound.html_name] = bound.value()
        for form in formset.forms:
            add(form)
    data["_save"] = "Save"
    return data


# --- moving a deal by its stage select ---------------------------------------------------------
def test_stage_change_with_facts_missing_lists_them_and_moves_nothing(manager, pipeline, stages):
    deal = make_deal(pipeline, manager, title="Стеллажи")
    before = Transition.objects.count()
    client = login(manager)
    response = client.post(change_url(deal), deal_data(deal, stage=stages[1].pk,
                                                       title="Стеллажи (новое)"))
    assert response.status_code == 200
    page = response.content.decode()
    for fact in gates.missing_facts(deal, [stages[0]]):
        assert fact.message["en"] in page
    assert response.context["adminform"].form.errors["stage"]
    deal.refresh_from_db()
    assert deal.stage_id == stages[0].pk
    assert deal.title == "Стеллажи"  # the whole save is undone, not half of it
    assert Transition.objects.count() == before
    assert not FieldChange.objects.filter(entity="deal", object_id=deal.pk).exists()


def test_missing_facts_come_in_the_users_language(manager, pipeline, stages):
    deal = make_deal(pipeline, manager)
    response = login(manager, "ru").post(change_url(deal), deal_data(deal, stage=stages[1].pk))
    page = response.content.decode()
    for fact in gates.missing_facts(deal, [stages[0]]):
        assert fact.message["ru"] in page
    assert 'lang="ru"' in page


def test_stage_change_with_facts_met_moves_and_writes_one_transition(manager, pipeline, stages):
    deal = meet(make_deal(pipeline, manager), manager, [stages[0]])
    before = Transition.objects.filter(deal=deal).count()
    response = login(manager).post(change_url(deal), deal_data(deal, stage=stages[1].pk,
                                                               move_comment="Встреча была"))
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.stage_id == stages[1].pk
    moves = Transition.objects.filter(deal=deal).order_by("id")
    assert moves.count() == before + 1
    last = moves.last()
    assert (last.kind, last.from_stage_id, last.to_stage_id, last.by_id, last.comment) == (
        Transition.Kind.ADVANCE, stages[0].pk, stages[1].pk, manager.pk, "Встреча была")


def test_field_change_and_move_in_one_save(manager, pipeline, stages):
    """The budget typed in the same save is what lets the deal leave the first stage."""
    deal = make_deal(pipeline, manager)
    done_task(deal, manager)
    response = login(manager).post(change_url(deal), deal_data(deal, budget="250 000",
                                                               stage=stages[1].pk))
    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.budget, deal.stage_id) == (250000, stages[1].pk)


def test_backward_stage_change_is_refused(manager, pipeline, stages):
    deal = meet(make_deal(pipeline, manager), manager, [stages[0]])
    deal_move(deal=deal, to_stage=stages[1], actor=manager)
    before = Transition.objects.count()
    response = login(manager).post(change_url(deal), deal_data(deal, stage=stages[0].pk))
    assert response.status_code == 200
    assert "no way back" in str(response.context["adminform"].form.errors["stage"])
    deal.refresh_from_db()
    assert deal.stage_id == stages[1].pk
    assert Transition.objects.count() == before


def test_stale_version_is_a_conflict_not_an_overwrite(manager, pipeline, stages):
    deal = make_deal(pipeline, manager)
    stale = deal_data(deal, title="Mine")
    login(manager).post(change_url(deal), deal_data(deal, title="Theirs"))
    response = login(manager).post(change_url(deal), stale)
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    deal.refresh_from_db()
    assert deal.title == "Theirs"


def test_custom_field_errors_land_on_their_field(head, pipeline, stages):
    from voronka.pipelines.services import custom_field_create

    custom_field_create(actor=head, pipeline=pipeline, name="Площадь", kind="number",
                        code="area")
    deal = make_deal(pipeline, head)
    client = login(head)
    response = client.post(change_url(deal), deal_data(deal, cf_area="много"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["cf_area"]
    response = client.post(change_url(deal), deal_data(deal, cf_area="12,5"))
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.custom_fields == {"area": "12.5"}


def test_add_deal_goes_through_deal_create(manager, pipeline, stages):
    response = login(manager).post(reverse("admin:deals_deal_add"), {
        "pipeline": pipeline.pk, "title": "Новая сделка", "budget": "1000", "company": "",
        "source": "site", "expected_close_date": "", "utm_source": "ya", "utm_medium": "",
        "utm_campaign": "", "utm_term": "", "utm_content": "", "_save": "Save"})
    assert response.status_code == 302
    deal = Deal.objects.get(title="Новая сделка")
    assert response["Location"] == change_url(deal)
    assert (deal.owner, deal.stage_id, deal.utm_source) == (manager, stages[0].pk, "ya")
    assert deal.transitions.get().kind == Transition.Kind.CREATED


# --- buttons of the deal page ------------------------------------------------------------------
def action_url(name: str, deal: Deal) -> str:
    return reverse(f"admin:deals_deal_{name}", args=[deal.pk])


def test_archive_needs_a_reason(manager, pipeline, stages):
    deal = make_deal(pipeline, manager)
    client = login(manager)
    assert client.get(action_url("archive", deal)).status_code == 200
    response = client.post(action_url("archive", deal), {"version": deal.version,
                                                         "comment": "Пропал"})
    assert response.status_code == 200
    assert response.context["form"].errors["loss_reason"]
    deal.refresh_from_db()
    assert deal.status == Deal.Status.OPEN
    reason = LossReason.objects.get(pipeline=pipeline, name="Дорого")
    response = client.post(action_url("archive", deal), {
        "version": deal.version, "loss_reason": reason.pk, "comment": "Пропал"})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.status, deal.loss_reason, deal.loss_comment) == ("lost", reason, "Пропал")
    assert deal.transitions.last().kind == Transition.Kind.LOST
    # A closed deal offers reopening, which returns it to the stage it left.
    response = client.post(action_url("reopen", deal), {"version": deal.version})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.status, deal.stage_id) == ("open", stages[0].pk)


def test_win_lists_missing_facts_then_wins(manager, pipeline, stages):
    deal = make_deal(pipeline, manager)
    client = login(manager)
    response = client.post(action_url("win", deal), {"version": deal.version})
    assert response.status_code == 200
    page = response.content.decode()
    for fact in gates.missing_facts(deal, stages):
        assert fact.message["en"] in page
    assert Deal.objects.get(pk=deal.pk).status == Deal.Status.OPEN
    meet(deal, manager, stages)
    response = client.post(action_url("win", deal), {"version": deal.version})
    assert response.status_code == 302
    assert Deal.objects.get(pk=deal.pk).status == Deal.Status.WON


def test_confirm_fact_contacts_and_payments_through_the_page(manager, pipeline, stages):
    deal = meet(make_deal(pipeline, manager), manager, [stages[0]])
    deal_move(deal=deal, to_stage=stages[1], actor=manager)
    client = login(manager)
    page = client.get(change_url(deal)).content.decode()
    assert "ТЗ согласовано" in page  # the exit checklist of the current stage
    requirement = StageRequirement.objects.get(stage=stages[1])
    response = client.post(action_url("confirm_fact", deal), {
        "version": deal.version, "requirement": requirement.pk, "comment": "по почте"})
    assert response.status_code == 302
    fact = DealFact.objects.get(deal=deal)
    assert (fact.confirmed_by, fact.comment) == (manager, "по почте")

    contact = make_contact(manager, full_name="Пётр Иванов")
    response = client.post(action_url("attach_contact", deal), {
        "version": deal.version, "contact": contact.pk, "role": "decision_maker"})
    assert response.status_code == 302
    assert deal.deal_contacts.get().role == "decision_maker"
    detach = reverse("admin:deals_deal_detach_contact", args=[deal.pk, contact.pk])
    assert client.post(detach, {"version": deal.version}).status_code == 302
    assert not deal.deal_contacts.exists()

    response = client.post(action_url("add_payment", deal), {
        "version": deal.version, "amount": "abc", "paid_on": "", "reference": ""})
    assert response.context["form"].errors["amount"]
    response = client.post(action_url("add_payment", deal), {
        "version": deal.version, "amount": "1 500,50", "paid_on": "2025-03-01",
        "reference": "п/п 12"})
    assert response.status_code == 302
    payment = Payment.objects.get(deal=deal)
    assert (str(payment.amount), payment.paid_on) == ("1500.50", datetime.date(2025, 3, 1))

    page = client.get(change_url(deal)).content.decode()
    assert "п/п 12" in page and "Пётр Иванов" in page  # timeline and payments


def test_a_manager_cannot_attach_someone_elses_contact(manager, manager2, pipeline, stages):
    deal = make_deal(pipeline, manager)
    foreign = make_contact(manager2, full_name="Чужой")
    response = login(manager).post(action_url("attach_contact", deal), {
        "version": deal.version, "contact": foreign.pk, "role": "other"})
    assert response.status_code == 200
    assert response.context["form"].errors["contact"]
    assert not deal.deal_contacts.exists()


def test_correction_is_for_administrators_and_needs_a_reason(admin, head, manager, pipeline,
                                                             stages):
    deal = meet(make_deal(pipeline, manager), manager, [stages[0]])
    deal_move(deal=deal, to_stage=stages[1], actor=manager)
    assert login(head).get(action_url("correct", deal)).status_code == 403
    client = login(admin)
    response = client.post(action_url("correct", deal), {
        "version": deal.version, "to_stage": stages[0].pk, "reason": ""})
    assert response.context["form"].errors["reason"]
    response = client.post(action_url("correct", deal), {
        "version": deal.version, "to_stage": stages[0].pk, "reason": "Ошибочный переход"})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.stage_id == stages[0].pk
    assert deal.transitions.last().kind == Transition.Kind.CORRECTION


# --- who sees and changes what ---------------------------------------------------------------
def test_manager_neither_sees_nor_opens_another_managers_deal(manager, manager2, pipeline):
    mine = make_deal(pipeline, manager, title="Моя сделка")
    theirs = make_deal(pipeline, manager2, title="Чужая сделка")
    client = login(manager)
    listing = client.get(reverse("admin:deals_deal_changelist"))
    assert list(listing.context["cl"].result_list) == [mine]
    assert "Чужая сделка" not in listing.content.decode()
    assert client.get(change_url(theirs)).status_code == 404
    assert client.post(change_url(theirs), deal_data(theirs, title="x")).status_code == 404
    assert client.get(action_url("win", theirs)).status_code == 404
    searched = client.get(reverse("admin:deals_deal_changelist"), {"q": "сделка"})
    assert list(searched.context["cl"].result_list) == [mine]


def test_changelist_filters_by_stage_status_and_owner(head, manager, manager2, pipeline, stages):
    first = make_deal(pipeline, manager)
    second = meet(make_deal(pipeline, manager2), manager2, [stages[0]])
    deal_move(deal=second, to_stage=stages[1], actor=manager2)
    client = login(head)
    url = reverse("admin:deals_deal_changelist")
    result = client.get(url, {"stage": stages[1].pk}).context["cl"].result_list
    assert list(result) == [second]
    result = client.get(url, {"owner__id__exact": manager.pk}).context["cl"].result_list
    assert list(result) == [first]
    assert client.get(url, {"status__exact": "lost"}).context["cl"].result_list.count() == 0


def test_marketer_reads_but_cannot_change(marketer, head, manager, pipeline, stages):
    from voronka.pipelines.services import custom_field_create

    custom_field_create(actor=head, pipeline=pipeline, name="Отрасль", kind="text",
                        code="industry")
    deal = make_deal(pipeline, manager, title="Для маркетолога",
                     custom_fields={"industry": "Розница"})
    client = login(marketer)
    response = client.get(change_url(deal))
    assert response.status_code == 200
    assert "Отрасль: Розница" in response.content.decode()
    assert 'name="_save"' not in response.content.decode()
    assert client.post(change_url(deal), deal_data(deal, title="x")).status_code == 403
    assert client.get(reverse("admin:deals_deal_add")).status_code == 403
    assert client.get(action_url("archive", deal)).status_code == 403
    assert client.get(reverse("admin:crm_contact_add")).status_code == 403
    assert client.get(reverse("admin:activities_task_add")).status_code == 403
    deal.refresh_from_db()
    assert deal.title == "Для маркетолога"


def test_no_delete_of_deals_and_a_read_only_log(admin, manager, pipeline):
    deal = make_deal(pipeline, manager)
    client = login(admin)
    assert client.get(reverse("admin:deals_deal_delete", args=[deal.pk])).status_code == 403
    transition = deal.transitions.get()
    assert client.get(reverse("admin:deals_transition_add")).status_code == 403
    url = reverse("admin:deals_transition_change", args=[transition.pk])
    assert 'name="_save"' not in client.get(url).content.decode()
    assert client.post(url, {"kind": "won"}).status_code == 403
    delete = reverse("admin:deals_transition_delete", args=[transition.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Transition.objects.filter(pk=transition.pk, kind="created").exists()
    listing = client.get(reverse("admin:deals_transition_changelist"), {"kind__exact": "created"})
    assert list(listing.context["cl"].result_list) == [transition]


def test_log_and_audit_are_scoped(manager, manager2, pipeline):
    from voronka.deals.services import deal_update

    theirs = make_deal(pipeline, manager2)
    deal_update(deal=theirs, actor=manager2, title="Тайна")
    mine = make_deal(pipeline, manager)
    client = login(manager)
    log = client.get(reverse("admin:deals_transition_changelist")).context["cl"].result_list
    assert {t.deal_id for t in log} == {mine.pk}
    audit = client.get(reverse("admin:core_fieldchange_changelist")).context["cl"].result_list
    assert theirs.pk not in {c.object_id for c in audit if c.entity == "deal"}


def test_pickers_offer_only_what_the_user_may_see(manager, manager2, pipeline):
    make_contact(manager, full_name="Свой Клиент")
    make_contact(manager2, full_name="Чужой Клиент")
    response = login(manager).get(reverse("admin:autocomplete"), {
        "app_label": "deals", "model_name": "dealcontact", "field_name": "contact",
        "term": "Клиент"})
    assert [r["text"] for r in response.json()["results"]] == ["Свой Клиент"]


def test_head_hands_a_deal_to_another_manager(head, manager, manager2, pipeline):
    deal = make_deal(pipeline, manager)
    assert login(head).post(change_url(deal), deal_data(deal, owner=manager2.pk)).status_code \
        == 302
    deal.refresh_from_db()
    assert deal.owner == manager2
    assert FieldChange.objects.filter(entity="deal", object_id=deal.pk, field="owner").exists()
    assert login(manager).get(change_url(deal)).status_code == 404
