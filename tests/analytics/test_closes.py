"""A flow report counts only a deal's standing close — its last win or loss, if no reopening
follows it — on the day of that close, at the budget recorded on it; the sales cycle likewise.
No figure is ever negative, and the rollups still equal the raw log (analytics_verify)."""

import calendar
import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from tests.factories import make_deal, plain_pipeline
from voronka.analytics import rollups
from voronka.analytics.drill import drill
from voronka.analytics.dynamics import dynamics_report
from voronka.analytics.funnel import funnel_report
from voronka.analytics.losses import losses_report
from voronka.analytics.models import DurationCell, FlowCell
from voronka.analytics.query import COHORT, FLOW, Amount, Filters, context
from voronka.analytics.timing import timing_report
from voronka.deals import services
from voronka.deals.models import Deal, Transition

from .test_rollups import dump

MSK = ZoneInfo("Europe/Moscow")
D = Decimal
NOTHING = Amount()


def at(month, day, hour=12, minute=0):
    return datetime.datetime(2025, month, day, hour, minute, tzinfo=MSK)


def period(pipeline, first, last=None, mode=FLOW):
    """Months ``first``…``last`` of 2025, or one day when given as (month, day)."""
    if isinstance(first, tuple):
        day = datetime.date(2025, *first)
        return Filters(pipeline.pk, day, day, mode)
    last = last or first
    end = datetime.date(2025, last, calendar.monthrange(2025, last)[1])
    return Filters(pipeline.pk, datetime.date(2025, first, 1), end, mode)


def funnel(user, f):
    return funnel_report(user=user, filters=f)[1]


def won_moves(user, f):
    return list(drill(user=user, ctx=context(user, f), cell="won").queryset)


def timing(user, f):
    return timing_report(user=user, filters=f)[1]


def verify():
    """analytics_verify passes (rollups = the raw log), and a rebuild gives the very cells the
    incremental refreshes made; no cell is negative."""
    call_command("analytics_verify")
    incremental = dump()
    rollups.rebuild()
    assert dump() == incremental
    assert not FlowCell.objects.filter(n__lt=0).exists()
    assert not FlowCell.objects.filter(budget_cents__lt=0).exists()
    assert not DurationCell.objects.filter(n__lt=0).exists()


@pytest.fixture
def msk(settings):
    settings.TIME_ZONE = "Europe/Moscow"


def test_won_reopened_won_in_one_month_counts_once_at_the_last_budget(msk, team, manager,
                                                                       admin):
    p = plain_pipeline(team, 3)
    d = make_deal(p, manager, budget=100000, created_at=at(1, 10))
    services.deal_win(deal=d, actor=manager, at=at(1, 20))
    services.deal_reopen(deal=d, actor=admin, at=at(1, 22))
    d.refresh_from_db()
    services.deal_update(deal=d, actor=manager, budget="150000", at=at(1, 23))
    d.refresh_from_db()
    second = services.deal_win(deal=d, actor=manager, at=at(1, 25))
    jan = period(p, 1)
    f = funnel(admin, jan)
    # Old rules: 2 wins, 250 000, conversion 200 %. Now the standing win alone, at 150 000.
    assert f.won == Amount(1, D("150000.00"))
    assert f.requests.n == 1 and f.conversion == 1.0
    assert funnel(admin, period(p, 1, mode=COHORT)).won == Amount(1, D("150000.00"))
    assert [m.pk for m in won_moves(admin, jan)] == [second.pk]
    _c, dyn = dynamics_report(user=admin, filters=jan, granularity="month")
    assert dyn.won == Amount(1, D("150000.00"))
    t = timing(admin, jan)
    # Created 10.01 12:00, standing win 25.01 12:00: one cycle of exactly 15 days.
    assert (t.cycle.won, t.cycle.mean_days, t.cycle.median_days) == (1, 15.0, 15)
    assert t.velocity.won == Amount(1, D("150000.00")) and t.velocity.lost == 0
    assert t.velocity.win_rate == 1.0 and t.velocity.average_cycle_days == D("15.00")
    verify()


def test_won_reopened_won_across_months_counts_in_the_month_of_the_standing_win(
        msk, team, manager, admin):
    p = plain_pipeline(team, 3)
    d = make_deal(p, manager, budget=100000, created_at=at(1, 10))
    services.deal_win(deal=d, actor=manager, at=at(1, 20))
    assert funnel(admin, period(p, 1)).won == Amount(1, D("100000.00"))  # read (refreshed)
    services.deal_reopen(deal=d, actor=admin, at=at(2, 5))
    # The reopening corrects history: January no longer has the win, February nothing
    # negative, and no month anything while the deal is open.
    assert funnel(admin, period(p, 1)).won == NOTHING
    assert funnel(admin, period(p, 2)).won == NOTHING
    assert funnel(admin, period(p, 1, 12)).won == NOTHING
    assert timing(admin, period(p, 1)).cycle.won == 0
    d.refresh_from_db()
    services.deal_update(deal=d, actor=manager, budget="120000", at=at(2, 6))
    d.refresh_from_db()
    win = services.deal_win(deal=d, actor=manager, at=at(3, 3))
    assert funnel(admin, period(p, 1)).won == NOTHING
    assert funnel(admin, period(p, 3)).won == Amount(1, D("120000.00"))
    assert funnel(admin, period(p, 1, 3)).won == Amount(1, D("120000.00"))
    _c, dyn = dynamics_report(user=admin, filters=period(p, 1, 3), granularity="month")
    assert [p.won for p in dyn.points] == [NOTHING, NOTHING, Amount(1, D("120000.00"))]
    assert won_moves(admin, period(p, 1)) == []
    assert [m.pk for m in won_moves(admin, period(p, 1, 3))] == [win.pk]
    # The cycle once, in March: 10.01 12:00 → 03.03 12:00 = 21 + 28 + 3 = 52 days.
    t = timing(admin, period(p, 1, 3))
    assert (t.cycle.won, t.cycle.median_days, t.cycle.mean_days) == (1, 52, 52.0)
    assert timing(admin, period(p, 1)).cycle.won == 0
    verify()


def test_won_then_reopened_is_no_win_anywhere(msk, team, manager, admin):
    p = plain_pipeline(team, 3)
    s = list(p.stages.order_by("position"))
    d = make_deal(p, manager, budget=700, created_at=at(1, 10))
    services.deal_move(deal=d, to_stage=s[1], actor=manager, at=at(1, 11))
    services.deal_win(deal=d, actor=manager, at=at(1, 20))
    services.deal_reopen(deal=d, actor=admin, at=at(2, 5))
    d.refresh_from_db()
    assert d.status == Deal.Status.OPEN
    # February has no request either: its conversion is "—", not 0 % or a division error.
    for f, conversion in ((period(p, 1), 0.0), (period(p, 2), None), (period(p, 1, 12), 0.0)):
        got = funnel(admin, f)
        assert (got.won, got.lost, got.conversion) == (NOTHING, NOTHING, conversion)
        assert won_moves(admin, f) == []
        t = timing(admin, f)
        assert (t.cycle.won, t.velocity.won, t.velocity.lost) == (0, NOTHING, 0)
        assert (t.velocity.win_rate, t.velocity.per_day) == (None, None)
    # Open again on the stage it was won from: the last one, as reopening puts it back.
    now = funnel(admin, period(p, 1))
    assert [st.now for st in now.stages] == [NOTHING, NOTHING, Amount(1, D("700.00"))]
    # Reaching stays as it happened (arrivals are never taken back).
    assert [st.reached.n for st in now.stages] == [1, 1, 1]
    assert funnel(admin, period(p, 1, mode=COHORT)).won == NOTHING
    verify()


def test_lost_reopened_won(msk, team, manager, admin):
    p = plain_pipeline(team, 3, reasons=["Дорого"])
    s = list(p.stages.order_by("position"))
    (expensive,) = list(p.loss_reasons.all())
    d = make_deal(p, manager, budget=500, created_at=at(1, 10))
    services.deal_archive(deal=d, actor=manager, reason=expensive, at=at(1, 12))
    services.deal_reopen(deal=d, actor=manager, at=at(1, 14))
    services.deal_move(deal=d, to_stage=s[1], actor=manager, at=at(1, 15))
    services.deal_win(deal=d, actor=manager, at=at(2, 3))
    jan, feb = period(p, 1), period(p, 2)
    assert funnel(admin, jan).lost == NOTHING and funnel(admin, jan).won == NOTHING
    assert losses_report(user=admin, filters=jan)[1].total == NOTHING
    assert list(drill(user=admin, ctx=context(admin, jan), cell="lostreason").queryset) == []
    assert funnel(admin, feb).won == Amount(1, D("500.00"))
    v = timing(admin, period(p, 1, 2)).velocity
    assert (v.won, v.lost, v.win_rate) == (Amount(1, D("500.00")), 0, 1.0)
    # The loss still ended a stay on stage 1 (10.01 → 12.01); the archive is no stay; then
    # 14.01 → 15.01 on stage 1 again.
    assert timing(admin, jan).stages[0].stays == 2
    verify()


def test_lost_reopened_lost_counts_the_last_loss(msk, team, manager, admin):
    p = plain_pipeline(team, 3, reasons=["Дорого", "Выбрали другого"])
    s = list(p.stages.order_by("position"))
    expensive, rival = list(p.loss_reasons.order_by("position"))
    d = make_deal(p, manager, budget=500, created_at=at(1, 10))
    services.deal_archive(deal=d, actor=manager, reason=expensive, at=at(1, 12))
    services.deal_reopen(deal=d, actor=admin, at=at(1, 14))
    services.deal_move(deal=d, to_stage=s[1], actor=manager, at=at(1, 15))
    services.deal_archive(deal=d, actor=manager, reason=rival, at=at(2, 16))
    assert funnel(admin, period(p, 1)).lost == NOTHING
    f = funnel(admin, period(p, 1, 2))
    assert f.lost == Amount(1, D("500.00"))  # old rules: 2 losses, 1 000
    assert {st.index: st.lost_by_reason for st in f.stages if st.lost.n} == {
        1: {rival.pk: Amount(1, D("500.00"))}}
    _c, losses = losses_report(user=admin, filters=period(p, 1, 2))
    assert losses.total == Amount(1, D("500.00")) and losses.share(rival.pk) == 1
    lost = drill(user=admin, ctx=context(admin, period(p, 1, 2)), cell="lostreason").queryset
    assert [r.loss_reason_id for r in lost] == [rival.pk]
    assert timing(admin, period(p, 1, 2)).velocity.lost == 1
    verify()


def test_reopen_across_midnight_at_the_month_boundary(msk, team, manager, admin):
    """Days are local (Moscow, UTC+3): 01.02 01:00 MSK is still 31.01 in UTC."""
    p = plain_pipeline(team, 3)
    a = make_deal(p, manager, budget=100, created_at=at(1, 10))
    b = make_deal(p, manager, budget=200, created_at=at(1, 10))
    services.deal_win(deal=a, actor=manager, at=at(1, 31, 23, 30))
    services.deal_win(deal=b, actor=manager, at=at(1, 31, 23, 30))
    assert funnel(admin, period(p, 1)).won == Amount(2, D("300.00"))
    assert funnel(admin, period(p, (1, 31))).won == Amount(2, D("300.00"))
    services.deal_reopen(deal=a, actor=admin, at=at(2, 1, 0, 30))
    services.deal_reopen(deal=b, actor=admin, at=at(2, 1, 0, 30))
    win = services.deal_win(deal=a, actor=manager, at=at(2, 1, 1, 0))
    assert win.at.astimezone(datetime.UTC).date() == datetime.date(2025, 1, 31)
    # A's standing win is on 1 February (local); B is open: January has no win at all.
    assert funnel(admin, period(p, 1)).won == NOTHING
    assert funnel(admin, period(p, (1, 31))).won == NOTHING
    assert funnel(admin, period(p, 2)).won == Amount(1, D("100.00"))
    assert funnel(admin, period(p, (2, 1))).won == Amount(1, D("100.00"))
    assert [m.pk for m in won_moves(admin, period(p, (2, 1)))] == [win.pk]
    assert won_moves(admin, period(p, (1, 31))) == []
    _c, dyn = dynamics_report(user=admin, filters=period(p, 1, 2), granularity="day")
    by_day = {pt.start: pt.won for pt in dyn.points if pt.won.n}
    assert by_day == {datetime.date(2025, 2, 1): Amount(1, D("100.00"))}
    # A's cycle: 10.01 12:00 → 01.02 01:00 = 21 days 13 hours → 22 days, in February.
    assert timing(admin, period(p, 2)).cycle.median_days == 22
    assert timing(admin, period(p, 1)).cycle.won == 0
    verify()


def test_budget_edited_after_the_win_leaves_the_closed_month(msk, team, manager, admin):
    p = plain_pipeline(team, 3)
    d = make_deal(p, manager, budget=100000, created_at=at(1, 10))
    services.deal_win(deal=d, actor=manager, at=at(1, 20))
    assert Transition.objects.get(deal=d, kind="won").budget == D("100000.00")
    jan = period(p, 1)
    d.refresh_from_db()
    services.deal_update(deal=d, actor=manager, budget="900000", at=at(3, 5))
    after = funnel(admin, jan)
    assert after.won == Amount(1, D("100000.00"))
    assert after.stages[0].reached == Amount(1, D("100000.00"))  # reached at 100 000 too
    assert funnel(admin, period(p, 1, mode=COHORT)).won == Amount(1, D("900000.00"))
    # Reopened and won again in March: January loses the win, March has it at 900 000.
    d.refresh_from_db()
    services.deal_reopen(deal=d, actor=admin, at=at(3, 6))
    services.deal_win(deal=d, actor=manager, at=at(3, 7))
    assert funnel(admin, jan).won == NOTHING
    assert funnel(admin, period(p, 3)).won == Amount(1, D("900000.00"))
    assert funnel(admin, period(p, 1, 3)).won == Amount(1, D("900000.00"))
    verify()


def test_moves_without_a_recorded_budget_use_the_current_one(msk, team, manager, admin):
    """Rows from before the field (or bulk imports): valued at the deal's budget now, the same
    in the rollups and the raw log, and following an edit."""
    p = plain_pipeline(team, 3)
    d = make_deal(p, manager, budget=300, created_at=at(1, 10))
    services.deal_win(deal=d, actor=manager, at=at(1, 20))
    Transition.objects.filter(deal=d).update(budget=None)
    rollups.rebuild()
    assert funnel(admin, period(p, 1)).won == Amount(1, D("300.00"))
    d.refresh_from_db()
    services.deal_update(deal=d, actor=admin, budget="700", at=at(2, 1))
    assert funnel(admin, period(p, 1)).won == Amount(1, D("700.00"))
    verify()
