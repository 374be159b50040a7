"""A deal's life: forward-only moves, skips, win, archive, reopen, the admin's correction,
time in stage, the furthest stage, versions and who may do what."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from voronka.core.errors import (
    Conflict,
    GateRefused,
    MoveRefused,
    PermissionDenied,
    ValidationError,
)
from voronka.core.models import FieldChange
from voronka.deals.models import Deal, Payment, Transition
from voronka.deals.services import (
    deal_archive,
    deal_contact_attach,
    deal_correct,
    deal_create,
    deal_move,
    deal_reopen,
    deal_update,
    deal_win,
    payment_create,
)
from voronka.pipelines.models import LossReason

from .factories import make_contact, make_deal, meet, plain_pipeline

H = datetime.timedelta(hours=1)
Kind = Transition.Kind


@pytest.fixture
def plain(team):
    pipeline = plain_pipeline(team, 5)
    return pipeline, list(pipeline.stages.order_by("position"))


def reason_of(pipeline, name="Дорого"):
    return LossReason.objects.get(pipeline=pipeline, name=name)


def kinds(deal):
    return list(Transition.objects.filter(deal=deal).order_by("at", "id")
                .values_list("kind", flat=True))


# --- forward only ---------------------------------------------------------------------------

def test_created_deal_starts_on_the_first_stage(plain, manager):
    pipeline, stages = plain
    deal = make_deal(pipeline, manager)
    assert (deal.stage_id, deal.furthest_stage_id, deal.status, deal.version) == (
        stages[0].pk, stages[0].pk, "open", 1)
    tr = Transition.objects.get(deal=deal)
    assert (tr.kind, tr.from_stage_id, tr.to_stage_id, tr.by_id, tr.owner_id) == (
        Kind.CREATED, None, stages[0].pk, manager.pk, manager.pk)


def test_no_way_back_and_no_standing_still(plain, manager):
    pipeline, stages = plain
    deal = make_deal(pipeline, manager)
    deal_move(deal=deal, to_stage=stages[2], actor=manager)
    for target in (stages[0], stages[1], stages[2]):
        with pytest.raises(MoveRefused):
            deal_move(deal=deal, to_stage=target, actor=manager)
    deal.refresh_from_db()
    assert deal.stage_id == stages[2].pk and kinds(deal) == [Kind.CREATED, Kind.SKIP]


def test_stage_of_another_pipeline_is_refused(plain, team, manager):
    pipeline, stages = plain
    other = plain_pipeline(team, 4)
    deal = make_deal(pipeline, manager)
    with pytest.raises(ValidationError) as exc:
        deal_move(deal=deal, to_stage=other.stages.last(), actor=manager)
    assert "to_stage" in exc.value.errors
    assert kinds(deal) == [Kind.CREATED]


def test_advance_and_skip_kinds(plain, manager):
    pipeline, stages = plain
    deal = make_deal(pipeline, manager)
    assert deal_move(deal=deal, to_stage=stages[1], actor=manager).kind == Kind.ADVANCE
    tr = deal_move(deal=deal, to_stage=stages[4], actor=manager)
    assert (tr.kind, tr.from_stage_id, tr.to_stage_id) == (Kind.SKIP, stages[1].pk,
                                                           stages[4].pk)
    assert kinds(deal) == [Kind.CREATED, Kind.ADVANCE, Kind.SKIP]  # a skip is one transition


def test_skip_needs_the_facts_of_every_skipped_stage(pipeline, stages, manager):
    deal = make_deal(pipeline, manager)
    meet(deal, manager, stages[:1])
    with pytest.raises(GateRefused) as exc:
        deal_move(deal=deal, to_stage=stages[2], actor=manager)
    assert {m.stage_id for m in exc.value.missing} == {stages[1].pk}
    meet(deal, manager, stages[1:2])
    with pytest.raises(GateRefused) as exc:  # the target's own facts are not needed to enter
        deal_move(deal=deal, to_stage=stages[3], actor=manager)
    assert {m.stage_id for m in exc.value.missing} == {stages[2].pk}
    assert deal_move(deal=deal, to_stage=stages[2], actor=manager).kind == Kind.SKIP


# --- win ------------------------------------------------------------------------------------

def test_win_needs_the_facts_of_the_current_stage_through_the_last(pipeline, stages, manager):
    deal = make_deal(pipeline, manager)
    meet(deal, manager, stages[:2])
    deal_move(deal=deal, to_stage=stages[2], actor=manager)
    with pytest.raises(GateRefused) as exc:
        deal_win(deal=deal, actor=manager)
    assert [m.stage_id for m in exc.value.missing] == [
        stages[2].pk, stages[2].pk, stages[3].pk, stages[4].pk]
    meet(deal, manager, stages[2:4])
    with pytest.raises(GateRefused) as exc:
        deal_win(deal=deal, actor=manager)
    assert [(m.stage_id, m.code) for m in exc.value.missing] == [
        (stages[4].pk, "fact_confirmed")]
    meet(deal, manager, stages[4:])
    at = timezone.now() - H
    tr = deal_win(deal=deal, actor=manager, at=at, comment="Подписали")
    assert (tr.kind, tr.from_stage_id, tr.to_stage_id, tr.at) == (
        Kind.WON, stages[2].pk, stages[4].pk, at)
    deal.refresh_from_db()
    assert (deal.status, deal.closed_at, deal.stage_id, deal.furthest_stage_id) == (
        Deal.Status.WON, at, stages[4].pk, stages[4].pk)


# --- archive and reopen ---------------------------------------------------------------------

def test_archive_needs_a_reason_of_the_same_pipeline(plain, team, manager):
    pipeline, stages = plain
    other = plain_pipeline(team, 4)
    deal = make_deal(pipeline, manager)
    inactive = reason_of(pipeline, "Выбрали другого")
    LossReason.objects.filter(pk=inactive.pk).update(is_active=False)
    inactive.refresh_from_db()
    for bad in (None, reason_of(other), inactive):
        with pytest.raises(ValidationError) as exc:
            deal_archive(deal=deal, actor=manager, reason=bad)
        assert "reason" in exc.value.errors
    deal.refresh_from_db()
    assert deal.status == "open" and deal.version == 1 and kinds(deal) == [Kind.CREATED]


def test_archive_records_the_stage_and_reopen_returns_to_it(plain, manager):
    pipeline, stages = plain
    t0 = timezone.now() - 30 * 24 * H
    deal = make_deal(pipeline, manager, created_at=t0)
    deal_move(deal=deal, to_stage=stages[3], actor=manager, at=t0 + H)
    lost = deal_archive(deal=deal, actor=manager, reason=reason_of(pipeline),
                        comment="Бюджет урезали", at=t0 + 3 * H)
    assert (lost.kind, lost.from_stage_id, lost.to_stage_id, lost.loss_reason,
            lost.seconds_in_stage) == (Kind.LOST, stages[3].pk, stages[3].pk,
                                       reason_of(pipeline), 2 * 3600)
    deal.refresh_from_db()
    assert (deal.status, deal.stage_id, deal.furthest_stage_id, deal.closed_at,
            deal.loss_comment) == (Deal.Status.LOST, stages[3].pk, stages[3].pk,
                                   t0 + 3 * H, "Бюджет урезали")
    back = deal_reopen(deal=deal, actor=manager, at=t0 + 10 * 24 * H)
    assert (back.kind, back.from_stage_id, back.to_stage_id, back.seconds_in_stage) == (
        Kind.REOPEN, stages[3].pk, stages[3].pk, 0)  # time in the archive is not stage time
    deal.refresh_from_db()
    assert (deal.status, deal.stage_id, deal.closed_at, deal.loss_reason_id,
            deal.loss_comment, deal.stage_entered_at) == (
        Deal.Status.OPEN, stages[3].pk, None, None, "", t0 + 10 * 24 * H)
    with pytest.raises(MoveRefused):
        deal_reopen(deal=deal, actor=manager)  # already open
    assert deal_move(deal=deal, to_stage=stages[4], actor=manager).kind == Kind.ADVANCE


@pytest.mark.parametrize("who", ["head", "admin"])
def test_reopening_a_won_deal_takes_a_head_or_an_admin(plain, manager, request, who):
    pipeline, stages = plain
    deal = make_deal(pipeline, manager)
    deal_move(deal=deal, to_stage=stages[2], actor=manager)
    deal_win(deal=deal, actor=manager)
    with pytest.raises(PermissionDenied):
        deal_reopen(deal=deal, actor=manager)
    deal.refresh_from_db()
    assert deal.status == Deal.Status.WON
    tr = deal_reopen(deal=deal, actor=request.getfixturevalue(who))
    assert (tr.kind, tr.to_stage_id) == (Kind.REOPEN, stages[4].pk)
    deal.refresh_from_db()
    assert (deal.status, deal.stage_id, deal.closed_at) == ("open", stages[4].pk, None)


def test_a_manager_may_reopen_their_lost_deal(plain, manager):
    pipeline, stages = plain
    deal = make_deal(pipeline, manager)
    deal_archive(deal=deal, actor=manager, reason=reason_of(pipeline))
    assert deal_reopen(deal=deal, actor=manager).kind == Kind.REOPEN


@pytest.mark.parametrize("close", ["won", "lost"])
def test_moves_on_a_closed_deal_are_refused(plain, manager, admin, close):
    pipeline, stages = plain
    deal = make_deal(pipeline, manager)
    deal_move(deal=deal, to_stage=stages[1], actor=manager)
    if close == "won":
        deal_win(deal=deal, actor=manager)
    else:
        deal_archive(deal=deal, actor=manager, reason=reason_of(pipeline))
    before = kinds(deal)
    with pytest.raises(MoveRefused):
        deal_move(deal=deal, to_stage=stages[4], actor=manager)
    with pytest.raises(MoveRefused):
        deal_win(deal=deal, actor=manager)
    with pytest.raises(MoveRefused):
        deal_archive(deal=deal, actor=manager, reason=reason_of(pipeline))
    with pytest.raises(MoveRefused):
        deal_correct(deal=deal, to_stage=stages[0], actor=admin, reason="ошибка")
    assert kinds(deal) == before


# --- the administrator's correction ---------------------------------------------------------

def test_correction_is_admin_only_needs_a_reason_and_moves_back(plain, manager, head, admin):
    pipeline, stages = plain
    deal = make_deal(pipeline, manager)
    deal_move(deal=deal, to_stage=stages[3], actor=manager)
    for actor in (manager, head, None):
        with pytest.raises(PermissionDenied):
            deal_correct(deal=deal, to_stage=stages[1], actor=actor, reason="ошибка")
    for blank in ("", "   ", None):
        with pytest.raises(ValidationError) as exc:
            deal_correct(deal=deal, to_stage=stages[1], actor=admin, reason=blank)
        assert "reason" in exc.value.errors
    for forward in (stages[3], stages[4]):
        with pytest.raises(MoveRefused):
            deal_correct(deal=deal, to_stage=forward, actor=admin, reason="вперёд")
    assert kinds(deal) == [Kind.CREATED, Kind.SKIP]
    assert not FieldChange.objects.filter(entity="deal", object_id=deal.pk).exists()

    version = deal.version
    tr = deal_correct(deal=deal, to_stage=stages[1], actor=admin, reason="  Не тот этап ")
    assert (tr.kind, tr.from_stage_id, tr.to_stage_id, tr.by_id, tr.comment) == (
        Kind.CORRECTION, stages[3].pk, stages[1].pk, admin.pk, "Не тот этап")
    deal.refresh_from_db()
    assert deal.stage_id == stages[1].pk and deal.version == version + 1
    assert deal.furthest_stage_id == stages[3].pk  # a correction never lowers it
    change = FieldChange.objects.get(entity="deal", object_id=deal.pk)
    assert (change.field, change.changed_by_id, change.old_value, change.new_value) == (
        "stage", admin.pk, f"{stages[3].pk}:{stages[3].name}",
        f"{stages[1].pk}:{stages[1].name}")
    assert change.changed_at == tr.at

    deal_move(deal=deal, to_stage=stages[2], actor=manager)
    deal.refresh_from_db()
    assert deal.furthest_stage_id == stages[3].pk  # moving below it keeps it
    deal_move(deal=deal, to_stage=stages[4], actor=manager)
    deal.refresh_from_db()
    assert deal.furthest_stage_id == stages[4].pk


# --- time in stage, furthest stage, versions ------------------------------------------------

def test_seconds_in_stage_are_computed_from_the_stage_entry(plain, manager, head):
    pipeline, stages = plain
    t0 = (timezone.now() - 60 * 24 * H).replace(microsecond=0)
    deal = make_deal(pipeline, manager, created_at=t0)
    assert deal.stage_entered_at == t0
    steps = [
        (lambda at: deal_move(deal=deal, to_stage=stages[1], actor=manager, at=at), 3600),
        (lambda at: deal_move(deal=deal, to_stage=stages[3], actor=manager, at=at), 90),
        (lambda at: deal_archive(deal=deal, actor=manager, reason=reason_of(pipeline),
                                 at=at), 2 * 86400 + 1),
        (lambda at: deal_reopen(deal=deal, actor=manager, at=at), 5 * 86400),
        (lambda at: deal_move(deal=deal, to_stage=stages[4], actor=manager, at=at), 7),
        (lambda at: deal_win(deal=deal, actor=manager, at=at), 45),
        (lambda at: deal_reopen(deal=deal, actor=head, at=at), 600),
    ]
    at, seen = t0, []
    for step, delta in steps:
        at += datetime.timedelta(seconds=delta)
        tr = step(at)
        seen.append((tr.kind, tr.seconds_in_stage, tr.at))
    assert seen == [
        (Kind.ADVANCE, 3600, t0 + datetime.timedelta(seconds=3600)),
        (Kind.SKIP, 90, t0 + datetime.timedelta(seconds=3690)),
        (Kind.LOST, 2 * 86400 + 1, t0 + datetime.timedelta(seconds=3690 + 2 * 86400 + 1)),
        (Kind.REOPEN, 0, t0 + datetime.timedelta(seconds=3691 + 7 * 86400)),
        (Kind.ADVANCE, 7, t0 + datetime.timedelta(seconds=3698 + 7 * 86400)),
        (Kind.WON, 45, t0 + datetime.timedelta(seconds=3743 + 7 * 86400)),
        (Kind.REOPEN, 0, t0 + datetime.timedelta(seconds=4343 + 7 * 86400)),
    ]
    deal.refresh_from_db()
    assert deal.stage_entered_at == at


def test_furthest_stage_and_version_follow_every_write(plain, manager, admin):
    pipeline, stages = plain
    deal = make_deal(pipeline, manager)
    expected = [(stages[0], 1)]
    deal_move(deal=deal, to_stage=stages[2], actor=manager)
    expected.append((stages[2], 2))
    deal_update(deal=deal, actor=manager, budget="10")
    expected.append((stages[2], 3))
    deal_correct(deal=deal, to_stage=stages[0], actor=admin, reason="ошибка")
    expected.append((stages[2], 4))
    deal_move(deal=deal, to_stage=stages[1], actor=manager)
    expected.append((stages[2], 5))
    deal_archive(deal=deal, actor=manager, reason=reason_of(pipeline))
    expected.append((stages[2], 6))
    deal_reopen(deal=deal, actor=manager)
    expected.append((stages[2], 7))
    deal_move(deal=deal, to_stage=stages[3], actor=manager)
    expected.append((stages[3], 8))
    deal.refresh_from_db()
    assert (deal.furthest_stage_id, deal.version) == (expected[-1][0].pk, expected[-1][1])


def test_stale_version_is_a_conflict_and_writes_nothing(plain, manager):
    pipeline, stages = plain
    deal = make_deal(pipeline, manager)
    with pytest.raises(Conflict) as exc:
        deal_move(deal=deal, to_stage=stages[1], actor=manager, expected_version=0)
    assert exc.value.extra["current_version"] == 1
    # Someone else's instance changes the deal; ours is now stale.
    other = Deal.objects.get(pk=deal.pk)
    deal_update(deal=other, actor=manager, title="Новое название")
    for attempt in (
        lambda: deal_move(deal=deal, to_stage=stages[1], actor=manager),
        lambda: deal_win(deal=deal, actor=manager),
        lambda: deal_archive(deal=deal, actor=manager, reason=reason_of(pipeline)),
        lambda: deal_update(deal=deal, actor=manager, budget="5"),
    ):
        with pytest.raises(Conflict):
            attempt()
    fresh = Deal.objects.get(pk=deal.pk)
    assert (fresh.version, fresh.stage_id, fresh.budget, fresh.title) == (
        2, stages[0].pk, Decimal("0"), "Новое название")
    assert kinds(deal) == [Kind.CREATED]
    deal.refresh_from_db()
    assert deal_move(deal=deal, to_stage=stages[1], actor=manager,
                     expected_version=2).kind == Kind.ADVANCE


# --- who may do what ------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["manager2", "marketer", "other_head", "other_manager"])
def test_outsiders_cannot_change_a_deal(plain, manager, request, who):
    pipeline, stages = plain
    actor = request.getfixturevalue(who)
    deal = make_deal(pipeline, manager)
    title = deal.title
    contact = make_contact(manager)
    attempts = [
        lambda: deal_move(deal=deal, to_stage=stages[1], actor=actor),
        lambda: deal_win(deal=deal, actor=actor),
        lambda: deal_archive(deal=deal, actor=actor, reason=reason_of(pipeline)),
        lambda: deal_correct(deal=deal, to_stage=stages[0], actor=actor, reason="x"),
        lambda: deal_update(deal=deal, actor=actor, title="Моя сделка"),
        lambda: payment_create(deal=deal, amount="100", actor=actor),
        lambda: deal_contact_attach(deal=deal, contact=contact, actor=actor),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    deal_archive(deal=deal, actor=manager, reason=reason_of(pipeline))
    with pytest.raises(PermissionDenied):
        deal_reopen(deal=deal, actor=actor)
    deal.refresh_from_db()
    assert (deal.version, deal.title, deal.status) == (2, title, "lost")
    assert kinds(deal) == [Kind.CREATED, Kind.LOST]
    assert not Payment.objects.filter(deal=deal).exists()
    assert not deal.deal_contacts.exists()
    assert not FieldChange.objects.filter(entity="deal", object_id=deal.pk).exists()


def test_head_acts_on_team_deals_and_admin_on_all(plain, manager, head, admin, other_manager,
                                                  other_pipeline):
    pipeline, stages = plain
    deal = make_deal(pipeline, manager)
    deal_move(deal=deal, to_stage=stages[1], actor=head)
    deal_update(deal=deal, actor=head, budget="700")
    deal_archive(deal=deal, actor=head, reason=reason_of(pipeline))
    deal_reopen(deal=deal, actor=head)
    foreign = make_deal(other_pipeline, other_manager, budget="1")
    meet(foreign, other_manager, list(other_pipeline.stages.order_by("position"))[:1])
    with pytest.raises(PermissionDenied):
        deal_move(deal=foreign, to_stage=other_pipeline.stages.order_by("position")[1],
                  actor=head)
    deal_move(deal=foreign, to_stage=other_pipeline.stages.order_by("position")[1],
              actor=admin)
    assert kinds(deal) == [Kind.CREATED, Kind.ADVANCE, Kind.LOST, Kind.REOPEN]
    assert kinds(foreign) == [Kind.CREATED, Kind.ADVANCE]


def test_handing_a_deal_over(plain, manager, manager2, head, other_manager, marketer):
    pipeline, _stages = plain
    deal = make_deal(pipeline, manager)
    with pytest.raises(PermissionDenied):
        deal_update(deal=deal, actor=manager, owner=manager2)
    for wrong in (other_manager, marketer):
        with pytest.raises(ValidationError) as exc:
            deal_update(deal=deal, actor=head, owner=wrong)
        assert "owner" in exc.value.errors
    deal_update(deal=deal, actor=head, owner=manager2)
    deal.refresh_from_db()
    assert deal.owner == manager2
    with pytest.raises(PermissionDenied):
        deal_update(deal=deal, actor=manager, title="Верни")


def test_who_may_create_deals_where(plain, manager, manager2, head, marketer, other_manager,
                                   admin, other_pipeline):
    pipeline, _stages = plain
    count = Deal.objects.count()
    with pytest.raises(PermissionDenied):
        deal_create(actor=marketer, pipeline=pipeline, title="x", owner=manager)
    with pytest.raises(PermissionDenied):
        deal_create(actor=other_manager, pipeline=pipeline, title="x")
    with pytest.raises(PermissionDenied):
        deal_create(actor=manager, pipeline=pipeline, title="x", owner=manager2)
    with pytest.raises(ValidationError) as exc:
        deal_create(actor=head, pipeline=pipeline, title="x", owner=other_manager)
    assert "owner" in exc.value.errors
    with pytest.raises(ValidationError) as exc:
        deal_create(actor=admin, pipeline=pipeline, title="x", owner=marketer)
    assert "owner" in exc.value.errors
    assert Deal.objects.count() == count
    assert deal_create(actor=head, pipeline=pipeline, title="x", owner=manager2).owner == manager2
    assert deal_create(actor=admin, pipeline=other_pipeline, title="y",
                       owner=other_manager).owner == other_manager


def test_creating_on_a_later_stage_obeys_the_gates(pipeline, stages, plain, manager):
    count, transitions = Deal.objects.count(), Transition.objects.count()
    with pytest.raises(GateRefused):
        deal_create(actor=manager, pipeline=pipeline, title="Сразу на договор",
                    stage=stages[2], budget="1000")
    assert (Deal.objects.count(), Transition.objects.count()) == (count, transitions)
    plain_pipeline_, plain_stages = plain
    with pytest.raises(ValidationError) as exc:
        deal_create(actor=manager, pipeline=plain_pipeline_, title="x", stage=stages[2])
    assert "stage" in exc.value.errors
    deal = deal_create(actor=manager, pipeline=plain_pipeline_, title="x",
                       stage=plain_stages[2])
    assert deal.stage_id == plain_stages[2].pk and kinds(deal) == [Kind.CREATED, Kind.SKIP]
