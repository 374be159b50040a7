"""Exit facts: every requirement kind first blocks a move, then allows it once the fact holds.
The refusal is structured (code, stage, requirement) and bilingual."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voronka.activities.services import task_complete, task_create
from voronka.core.errors import GateRefused, PermissionDenied, ValidationError
from voronka.deals.gates import missing_facts
from voronka.deals.models import DealFact, Transition
from voronka.deals.selectors import deal_exit_checklist
from voronka.deals.services import (
    deal_contact_attach,
    deal_contact_detach,
    deal_fact_confirm,
    deal_move,
    deal_update,
    payment_create,
)
from voronka.pipelines.lint import pipeline_lint
from voronka.pipelines.models import StageRequirement
from voronka.pipelines.services import custom_field_create, requirement_create

from .factories import (
    done_task,
    make_company,
    make_contact,
    make_deal,
    make_pipeline,
    plain_pipeline,
)

CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def gated(team, **requirement):
    """A three-stage funnel whose first stage has exactly one exit requirement."""
    pipeline = plain_pipeline(team, 3)
    stages = list(pipeline.stages.order_by("position"))
    req = requirement_create(actor=None, stage=stages[0], **requirement)
    return pipeline, stages, req


def refused(deal, to_stage, actor):
    """The missing facts of a refused move; asserts nothing was written."""
    transitions = Transition.objects.filter(deal=deal).count()
    with pytest.raises(GateRefused) as exc:
        deal_move(deal=deal, to_stage=to_stage, actor=actor)
    assert Transition.objects.filter(deal=deal).count() == transitions
    deal.refresh_from_db()
    return exc.value.missing


def assert_only_missing(deal, stages, req, actor):
    missing = refused(deal, stages[1], actor)
    assert [(m.code, m.stage_id, m.requirement_id) for m in missing] == [
        (req.kind, stages[0].pk, req.pk)]


def assert_moves(deal, stages, actor):
    deal.refresh_from_db()
    tr = deal_move(deal=deal, to_stage=stages[1], actor=actor)
    assert tr.kind == Transition.Kind.ADVANCE
    assert (tr.from_stage_id, tr.to_stage_id) == (stages[0].pk, stages[1].pk)
    deal.refresh_from_db()
    assert deal.stage_id == stages[1].pk


# --- field filled: built-in fields ----------------------------------------------------------

@pytest.mark.parametrize(("field", "blanks", "value"), [
    ("budget", ["0", "0.00"], "150000.50"),
    ("source", ["", "   "], "Сайт"),
    ("utm_source", [""], "yandex"),
    ("utm_campaign", ["  "], "spring-2024"),
    ("expected_close_date", [None], datetime.date(2030, 1, 31)),
])
def test_builtin_field_filled_blocks_then_allows(team, manager, field, blanks, value):
    pipeline, stages, req = gated(team, kind="field_filled", field_name=field)
    deal = make_deal(pipeline, manager)
    assert_only_missing(deal, stages, req, manager)
    for blank in blanks:
        deal_update(deal=deal, actor=manager, **{field: blank})
        assert_only_missing(deal, stages, req, manager)
    deal_update(deal=deal, actor=manager, **{field: value})
    assert_moves(deal, stages, manager)


def test_builtin_company_field_filled(team, manager):
    pipeline, stages, req = gated(team, kind="field_filled", field_name="company")
    deal = make_deal(pipeline, manager)
    assert_only_missing(deal, stages, req, manager)
    deal_update(deal=deal, actor=manager, company=make_company(manager))
    assert_moves(deal, stages, manager)


def test_unknown_builtin_field_cannot_be_required(team):
    pipeline = plain_pipeline(team, 4)
    with pytest.raises(ValidationError) as exc:
        requirement_create(actor=None, stage=pipeline.stages.first(), kind="field_filled",
                           field_name="no_such_field")
    assert "field_name" in exc.value.errors
    assert not StageRequirement.objects.filter(stage__pipeline=pipeline).exists()


# --- field filled: custom fields of every type ----------------------------------------------

@pytest.mark.parametrize(("kind", "choices", "blank", "value", "stored"), [
    ("text", [], "   ", "Нужен монтаж", "Нужен монтаж"),
    ("number", [], None, "0", "0"),
    ("money", [], "", "0", "0.00"),
    ("date", [], None, "2024-02-29", "2024-02-29"),
    ("choice", ["Опт", "Розница"], "", "Розница", "Розница"),
    ("boolean", [], None, False, False),  # a yes/no answered "no" is still answered
    ("boolean", [], "", "нет", False),
])
def test_custom_field_filled_blocks_then_allows(team, manager, kind, choices, blank, value,
                                                stored):
    pipeline = plain_pipeline(team, 3)
    stages = list(pipeline.stages.order_by("position"))
    field = custom_field_create(actor=None, pipeline=pipeline, name="Поле", code="extra",
                                kind=kind, choices=choices)
    req = requirement_create(actor=None, stage=stages[0], kind="field_filled",
                             custom_field=field)
    deal = make_deal(pipeline, manager)
    assert_only_missing(deal, stages, req, manager)
    deal_update(deal=deal, actor=manager, custom_fields={"extra": blank})
    assert "extra" not in deal.custom_fields
    assert_only_missing(deal, stages, req, manager)
    deal_update(deal=deal, actor=manager, custom_fields={"extra": value})
    deal.refresh_from_db()
    assert deal.custom_fields["extra"] == stored
    assert_moves(deal, stages, manager)


def test_custom_field_requirement_by_code_and_from_another_pipeline(team, manager):
    pipeline, other = plain_pipeline(team, 3), plain_pipeline(team, 3)
    foreign = custom_field_create(actor=None, pipeline=other, name="Чужое", code="foreign",
                                  kind="text")
    stage = pipeline.stages.first()
    with pytest.raises(ValidationError) as exc:
        requirement_create(actor=None, stage=stage, kind="field_filled", custom_field=foreign)
    assert "custom_field" in exc.value.errors
    with pytest.raises(ValidationError):
        requirement_create(actor=None, stage=stage, kind="field_filled", custom_field="nope")
    custom_field_create(actor=None, pipeline=pipeline, name="Объём", code="volume",
                        kind="number")
    req = requirement_create(actor=None, stage=stage, kind="field_filled",
                             custom_field="volume")
    assert req.custom_field.code == "volume"


# --- contact and company attached -----------------------------------------------------------

def test_contact_attached_blocks_then_allows(team, manager):
    pipeline, stages, req = gated(team, kind="contact_attached")
    deal = make_deal(pipeline, manager)
    assert_only_missing(deal, stages, req, manager)
    contact = make_contact(manager)
    deal_contact_attach(deal=deal, contact=contact, role="decision_maker", actor=manager)
    deal_contact_detach(deal=deal, contact=contact, actor=manager)
    assert_only_missing(deal, stages, req, manager)  # the gate reads the deal as it is now
    deal_contact_attach(deal=deal, contact=contact, role="influencer", actor=manager)
    assert_moves(deal, stages, manager)


def test_company_attached_blocks_then_allows(team, manager):
    pipeline, stages, req = gated(team, kind="company_attached")
    deal = make_deal(pipeline, manager)
    assert_only_missing(deal, stages, req, manager)
    deal_update(deal=deal, actor=manager, company=make_company(manager))
    deal_update(deal=deal, actor=manager, company=None)
    assert_only_missing(deal, stages, req, manager)
    deal_update(deal=deal, actor=manager, company=make_company(manager))
    assert_moves(deal, stages, manager)


# --- task of a kind completed ---------------------------------------------------------------

def test_task_of_a_kind_completed(team, manager):
    pipeline, stages, req = gated(team, kind="task_completed", task_kind="meeting")
    deal, other_deal = make_deal(pipeline, manager), make_deal(pipeline, manager)
    assert_only_missing(deal, stages, req, manager)
    done_task(deal, manager, kind="call")  # another kind does not count
    done_task(other_deal, manager, kind="meeting")  # nor a meeting on another deal
    meeting = task_create(actor=manager, deal=deal, kind="meeting",
                          text="Договориться о встрече",
                          due_at=timezone.now() + datetime.timedelta(days=2))
    assert_only_missing(deal, stages, req, manager)  # planned, not held
    task_complete(task=meeting, actor=manager, result="Встреча проведена")
    assert_moves(deal, stages, manager)


def test_unknown_task_kind_cannot_be_required(team):
    pipeline = plain_pipeline(team, 4)
    with pytest.raises(ValidationError) as exc:
        requirement_create(actor=None, stage=pipeline.stages.first(), kind="task_completed",
                           task_kind="dance")
    assert "task_kind" in exc.value.errors


# --- payments reaching a share of the budget ------------------------------------------------

def test_several_payments_reach_the_share(team, manager):
    pipeline, stages, req = gated(team, kind="payment_received", payment_share="0.5")
    deal = make_deal(pipeline, manager, budget="100000")
    assert_only_missing(deal, stages, req, manager)
    payment_create(deal=deal, amount="30000", actor=manager)
    assert_only_missing(deal, stages, req, manager)
    payment_create(deal=deal, amount="19999.99", actor=manager)
    assert_only_missing(deal, stages, req, manager)  # one kopeck short
    payment_create(deal=deal, amount="0.01", actor=manager)  # exactly half now
    deal_update(deal=deal, actor=manager, budget="100000.02")
    assert_only_missing(deal, stages, req, manager)  # a bigger budget needs more
    deal_update(deal=deal, actor=manager, budget="100000")
    assert_moves(deal, stages, manager)


def test_full_payment_by_default(team, manager):
    pipeline, stages, req = gated(team, kind="payment_received")
    assert req.payment_share == 1
    deal = make_deal(pipeline, manager, budget="1000")
    payment_create(deal=deal, amount="999.99", actor=manager)
    assert_only_missing(deal, stages, req, manager)
    payment_create(deal=deal, amount="500", actor=manager)  # overpaid is paid
    assert_moves(deal, stages, manager)


def test_a_payment_dated_in_the_future_is_refused_and_opens_no_gate(team, manager):
    """Money that has not arrived is no fact; a day of slack for the payer's time zone."""
    pipeline, stages, req = gated(team, kind="payment_received")
    deal = make_deal(pipeline, manager, budget="1000")
    today = timezone.localdate()
    with pytest.raises(ValidationError) as exc:
        payment_create(deal=deal, amount="1000", actor=manager,
                       paid_on=today + datetime.timedelta(days=2))
    assert list(exc.value.errors) == ["paid_on"]
    assert not deal.payments.exists()
    assert_only_missing(deal, stages, req, manager)
    payment_create(deal=deal, amount="1000", actor=manager,
                   paid_on=today + datetime.timedelta(days=1))
    assert_moves(deal, stages, manager)


def test_payments_larger_in_sum_than_any_one_amount(team, manager):
    """Two payments of the largest amount: their sum has more digits than the column, read
    (hand-written SQL on SQLite) without rounding to it."""
    pipeline, stages, req = gated(team, kind="payment_received")
    deal = make_deal(pipeline, manager, budget="999999999999.99")
    payment_create(deal=deal, amount="999999999999.99", actor=manager)
    payment_create(deal=deal, amount="999999999999.99", actor=manager)
    assert_moves(deal, stages, manager)


def test_zero_budget_never_satisfies_a_payment_requirement(team, manager):
    pipeline, stages, req = gated(team, kind="payment_received", payment_share="0.001")
    deal = make_deal(pipeline, manager, budget="0")
    payment_create(deal=deal, amount="1000000", actor=manager)
    assert_only_missing(deal, stages, req, manager)


@pytest.mark.parametrize("share", ["0", "1.5", "-0.5", "abc", "NaN"])
def test_payment_share_out_of_range_is_refused(team, share):
    pipeline = plain_pipeline(team, 4)
    with pytest.raises(ValidationError) as exc:
        requirement_create(actor=None, stage=pipeline.stages.first(), kind="payment_received",
                           payment_share=share)
    assert "payment_share" in exc.value.errors


# --- fact confirmed by a user ---------------------------------------------------------------

def test_fact_confirmed_records_who_and_when(team, manager, head):
    pipeline, stages, req = gated(team, kind="fact_confirmed", fact_name="ТЗ согласовано")
    deal = make_deal(pipeline, manager)
    assert_only_missing(deal, stages, req, manager)
    before = timezone.now()
    fact = deal_fact_confirm(deal=deal, requirement=req, actor=manager, comment=" по почте ")
    assert fact.confirmed_by == manager
    assert before <= fact.confirmed_at <= timezone.now()
    assert fact.comment == "по почте"
    # Vouching twice keeps the first voucher: the record of who confirmed is not rewritten.
    again = deal_fact_confirm(deal=deal, requirement=req, actor=head)
    assert again.pk == fact.pk and again.confirmed_by == manager
    assert DealFact.objects.filter(deal=deal).count() == 1
    assert_moves(deal, stages, manager)


def test_fact_confirmation_is_refused_to_outsiders_and_for_wrong_requirements(
        team, manager, manager2, marketer):
    pipeline, stages, req = gated(team, kind="fact_confirmed", fact_name="Договор подписан")
    deal = make_deal(pipeline, manager)
    for outsider in (manager2, marketer, None):
        with pytest.raises(PermissionDenied):
            deal_fact_confirm(deal=deal, requirement=req, actor=outsider)
    _p, _s, foreign = gated(team, kind="fact_confirmed", fact_name="Чужой факт")
    not_a_fact = requirement_create(actor=None, stage=stages[1], kind="contact_attached")
    for wrong in (foreign, not_a_fact):
        with pytest.raises(ValidationError) as exc:
            deal_fact_confirm(deal=deal, requirement=wrong, actor=manager)
        assert "requirement" in exc.value.errors
    assert not DealFact.objects.exists()
    with pytest.raises(ValidationError) as exc:
        requirement_create(actor=None, stage=stages[1], kind="fact_confirmed", fact_name="  ")
    assert "fact_name" in exc.value.errors


# --- several requirements, structure and language of the refusal ----------------------------

def test_every_requirement_of_the_stage_must_hold(pipeline, stages, manager):
    deal = make_deal(pipeline, manager)
    done_task(deal, manager, kind="meeting")
    missing = refused(deal, stages[1], manager)
    assert [m.code for m in missing] == ["field_filled"]
    deal_update(deal=deal, actor=manager, budget="1")
    assert_moves(deal, stages, manager)


def test_missing_facts_are_structured(pipeline, stages, manager):
    deal = make_deal(pipeline, manager)
    version = deal.version
    with pytest.raises(GateRefused) as exc:
        deal_move(deal=deal, to_stage=stages[1], actor=manager)
    error = exc.value
    assert error.code == "facts_missing" and error.message
    reqs = list(StageRequirement.objects.filter(stage=stages[0]).order_by("position", "id"))
    assert [(m.code, m.stage_id, m.requirement_id) for m in error.missing] == [
        ("field_filled", stages[0].pk, reqs[0].pk), ("task_completed", stages[0].pk, reqs[1].pk)]
    for fact in error.missing:
        assert set(fact.message) == {"ru", "en"}
        assert all(fact.message.values())
        assert fact.as_dict() == {"code": fact.code, "stage_id": fact.stage_id,
                                  "requirement_id": fact.requirement_id,
                                  "message": fact.message}
    assert "Field “Budget” is filled" in error.missing[0].message["en"]
    assert stages[0].name in error.missing[0].message["en"]
    assert "Meeting" in error.missing[1].message["en"]
    deal.refresh_from_db()
    assert deal.version == version and deal.stage_id == stages[0].pk


def _ru_catalogue_ready() -> bool:
    from django.utils import translation

    msgid = "Stage “%(stage)s”: %(requirement)s — not yet."
    with translation.override("ru"):
        return translation.gettext(msgid) != msgid


# Until the Russian catalogue is filled (the lead does it last) the ru text is the English
# msgid; once it is, this is an ordinary test.
@pytest.mark.xfail(not _ru_catalogue_ready(), strict=False, reason="ru catalogue pending")
def test_missing_fact_messages_in_both_languages(team, manager):
    # English stage and fact names, so any Cyrillic in the ru text comes from the catalogue.
    pipeline = make_pipeline(team, name="Intl", stages=[
        {"name": "Qualify", "requirements": [
            {"kind": "field_filled", "field_name": "budget"},
            {"kind": "contact_attached"}, {"kind": "company_attached"},
            {"kind": "task_completed", "task_kind": "meeting"},
            {"kind": "payment_received", "payment_share": "0.5"},
            {"kind": "fact_confirmed", "fact_name": "NDA"}]},
        {"name": "Propose"}, {"name": "Close"}, {"name": "Hand over"}])
    stages = list(pipeline.stages.order_by("position"))
    deal = make_deal(pipeline, manager)
    missing = refused(deal, stages[1], manager)
    assert len(missing) == 6
    for fact in missing:
        ru, en = fact.message["ru"], fact.message["en"]
        assert not CYRILLIC.search(en), en
        assert ru != en
        assert CYRILLIC.search(ru), ru
    for finding in pipeline_lint(pipeline):
        assert not CYRILLIC.search(finding.message["en"])
        assert CYRILLIC.search(finding.message["ru"]), finding.message["ru"]


def test_skip_lists_the_facts_of_every_skipped_stage(pipeline, stages, manager):
    deal = make_deal(pipeline, manager)
    missing = refused(deal, stages[3], manager)
    assert [m.stage_id for m in missing] == [stages[0].pk, stages[0].pk, stages[1].pk,
                                              stages[2].pk, stages[2].pk]
    assert [m.code for m in missing] == ["field_filled", "task_completed", "fact_confirmed",
                                         "contact_attached", "company_attached"]


def test_exit_checklist_shows_what_is_done(pipeline, stages, manager):
    deal = make_deal(pipeline, manager, budget="5000")
    items = deal_exit_checklist(deal=deal)
    assert [(i.stage_id, i.kind, i.done) for i in items] == [
        (stages[0].pk, "field_filled", True), (stages[0].pk, "task_completed", False)]
    assert all(i.label for i in items)
    done_task(deal, manager)
    assert all(i.done for i in deal_exit_checklist(deal=deal))


def test_a_share_of_an_odd_budget_is_not_rounded_in_the_deals_favour(team, manager):
    # Half of 100.01 is 50.005: 50.00 has not reached it; 50.01 has.
    pipeline, stages, req = gated(team, kind="payment_received", payment_share="0.5")
    deal = make_deal(pipeline, manager, budget="100.01")
    payment_create(deal=deal, amount="50.00", actor=manager)
    assert_only_missing(deal, stages, req, manager)
    payment_create(deal=deal, amount="0.01", actor=manager)
    assert_moves(deal, stages, manager)


money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2)


@pytest.fixture
def payment_gate(team):
    return gated(team, kind="payment_received", payment_share="1")


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(budget=st.sampled_from([Decimal("0")]) | money,
       share=st.decimals(min_value=Decimal("0.001"), max_value=Decimal("1"), places=3),
       payments=st.lists(money, max_size=4))
def test_payment_gate_holds_exactly_when_payments_reach_the_share(payment_gate, manager, budget,
                                                                  share, payments):
    pipeline, stages, req = payment_gate
    with transaction.atomic():
        StageRequirement.objects.filter(pk=req.pk).update(payment_share=share)
        deal = make_deal(pipeline, manager, budget=budget)
        for amount in payments:
            payment_create(deal=deal, amount=amount, actor=manager)
        holds = budget > 0 and sum(payments, Decimal("0")) >= budget * share
        assert (missing_facts(deal, [stages[0]]) == []) is holds
        transaction.set_rollback(True)


def test_a_payment_date_must_be_a_date_not_a_moment(team, manager):
    pipeline, _stages, _req = gated(team, kind="payment_received")
    deal = make_deal(pipeline, manager, budget="1000")
    with pytest.raises(ValidationError) as exc:
        payment_create(deal=deal, amount="10", actor=manager, paid_on=timezone.now())
    assert list(exc.value.errors) == ["paid_on"]
