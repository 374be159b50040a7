"""Wins and losses count once per deal (a reopening takes the close back), valued at the
budget the deal had when it closed; and the rollups still equal the raw log."""

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
from voronka.analytics.query import COHORT, FLOW, Amount, Filters, context
from voronka.analytics.timing import timing_report
from voronka.deals import services
from voronka.deals.models import Transition

from .test_rollups import dump

MSK = ZoneInfo("Europe/Moscow")
D = Decimal


def at(month, day, hour=12):
    return datetime.datetime(2025, month, day, hour, tzinfo=MSK)


def month(pipeline, m, mode=FLOW, last=None):
    first = datetime.date(2025, m, 1)
    end = datetime.date(2025, last or m, 28 if (last or m) == 2 else 30)
    return Filters(pipeline.pk, first, end, mode)


def won(user, f):
    return funnel_report(user=user, filters=f)[1]


def check_raw_and_rebuild():
    """analytics_verify passes, and a rebuild gives the very cells the refreshes made."""
    call_command("analytics_verify")
    incremental = dump()
    rollups.rebuild()
    assert dump() == incremental


@pytest.fixture
def msk(settings):
    settings.TIME_ZONE = "Europe/Moscow"


def test_won_reopened_won_counts_once(msk, team, manager, admin):
    p = plain_pipeline(team, 3)
    d = make_deal(p, manager, budget=100000, created_at=at(1, 10))
    services.deal_win(deal=d, actor=manager, at=at(1, 20))
    services.deal_reopen(deal=d, actor=admin, at=at(1, 22))
    services.deal_win(deal=d, actor=manager, at=at(1, 25))
    f = won(admin, month(p, 1))
    # Before: 2 wins, 200 000, conversion 200 %.
    assert f.won == Amount(1, D("100000.00"))
    assert f.requests.n == 1 and f.conversion == 1.0
    assert won(admin, month(p, 1, COHORT)).won == Amount(1, D("100000.00"))
    ctx = context(admin, month(p, 1))
    assert drill(user=admin, ctx=ctx, cell="won").queryset.count() == 1
    _c, dyn = dynamics_report(user=admin, filters=month(p, 1), granularity="month")
    assert dyn.won == Amount(1, D("100000.00"))
    t = timing_report(user=admin, filters=month(p, 1))[1]
    assert t.velocity.won.n == 1 and t.velocity.win_rate == 1.0
    check_raw_and_rebuild()


def test_reopening_in_a_later_month_takes_the_win_back_there(msk, team, manager, admin):
    p = plain_pipeline(team, 3)
    d = make_deal(p, manager, budget=100000, created_at=at(1, 10))
    services.deal_win(deal=d, actor=manager, at=at(1, 20))
    services.deal_reopen(deal=d, actor=admin, at=at(2, 5))
    # January stays as it was closed; February nets the win out; the two together: nothing.
    assert won(admin, month(p, 1)).won == Amount(1, D("100000.00"))
    assert won(admin, month(p, 2)).won == Amount(-1, D("-100000.00"))
    assert won(admin, month(p, 1, last=2)).won == Amount(0, D("0.00"))
    assert won(admin, month(p, 1, COHORT)).won == Amount()  # not won now
    # The list behind February's figure shows the reopening that took the win back.
    rows = drill(user=admin, ctx=context(admin, month(p, 2)), cell="won").queryset
    assert [r.kind for r in rows] == [Transition.Kind.REOPEN]
    services.deal_win(deal=d, actor=manager, at=at(3, 3))
    assert won(admin, month(p, 1, last=3)).won == Amount(1, D("100000.00"))
    check_raw_and_rebuild()


def test_lost_reopened_lost_counts_once(msk, team, manager, admin):
    p = plain_pipeline(team, 3, reasons=["Дорого", "Выбрали другого"])
    s = list(p.stages.order_by("position"))
    expensive, rival = list(p.loss_reasons.order_by("position"))
    d = make_deal(p, manager, budget=500, created_at=at(1, 10))
    services.deal_archive(deal=d, actor=manager, reason=expensive, at=at(1, 12))
    services.deal_reopen(deal=d, actor=admin, at=at(1, 14))
    services.deal_move(deal=d, to_stage=s[1], actor=manager, at=at(1, 15))
    services.deal_archive(deal=d, actor=manager, reason=rival, at=at(1, 16))
    f = won(admin, month(p, 1))
    assert f.lost == Amount(1, D("500.00"))  # before: 2 losses, 1 000
    assert {st.index: st.lost_by_reason for st in f.stages if st.lost.n} == {
        1: {rival.pk: Amount(1, D("500.00"))}}
    _c, losses = losses_report(user=admin, filters=month(p, 1))
    assert losses.total == Amount(1, D("500.00")) and losses.share(rival.pk) == 1
    lost = drill(user=admin, ctx=context(admin, month(p, 1)), cell="lostreason").queryset
    assert [r.loss_reason_id for r in lost] == [rival.pk]
    assert timing_report(user=admin, filters=month(p, 1))[1].velocity.lost == 1
    check_raw_and_rebuild()


def test_budget_edited_after_the_win_leaves_the_closed_month(msk, team, manager, admin):
    p = plain_pipeline(team, 3)
    d = make_deal(p, manager, budget=100000, created_at=at(1, 10))
    services.deal_win(deal=d, actor=manager, at=at(1, 20))
    assert Transition.objects.get(deal=d, kind="won").budget == D("100000.00")
    assert Transition.objects.get(deal=d, kind="created").budget == D("100000.00")
    jan = month(p, 1)
    before = won(admin, jan)
    d.refresh_from_db()
    services.deal_update(deal=d, actor=manager, budget="900000", at=at(3, 5))
    after = won(admin, jan)
    assert after.won == before.won == Amount(1, D("100000.00"))
    assert after.stages[0].reached == Amount(1, D("100000.00"))  # reached at 100 000 too
    # Cohort mode is the deals as they are now.
    assert won(admin, month(p, 1, COHORT)).won == Amount(1, D("900000.00"))
    # Reopened and won again in March: January keeps 100 000; March takes it back and adds
    # the new win at 900 000.
    d.refresh_from_db()
    services.deal_reopen(deal=d, actor=admin, at=at(3, 6))
    services.deal_win(deal=d, actor=manager, at=at(3, 7))
    assert won(admin, jan).won == Amount(1, D("100000.00"))
    assert won(admin, month(p, 3)).won == Amount(0, D("800000.00"))
    assert won(admin, month(p, 1, last=3)).won == Amount(1, D("900000.00"))
    check_raw_and_rebuild()


def test_moves_without_a_recorded_budget_use_the_current_one(msk, team, manager, admin):
    """Rows from before the field (or bulk imports): valued at the deal's budget now, the same
    in the rollups and the raw log, and following an edit."""
    p = plain_pipeline(team, 3)
    d = make_deal(p, manager, budget=300, created_at=at(1, 10))
    services.deal_win(deal=d, actor=manager, at=at(1, 20))
    Transition.objects.filter(deal=d).update(budget=None)
    rollups.rebuild()
    assert won(admin, month(p, 1)).won == Amount(1, D("300.00"))
    d.refresh_from_db()
    services.deal_update(deal=d, actor=admin, budget="700", at=at(2, 1))
    assert won(admin, month(p, 1)).won == Amount(1, D("700.00"))
    check_raw_and_rebuild()
