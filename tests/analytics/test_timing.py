"""Time in stage, cycle and velocity against the hand-worked history (conftest.history)."""

import datetime
from decimal import Decimal

from voronka.analytics.query import FLOW, Amount, Filters
from voronka.analytics.timing import timing_report

JAN1, FEB28 = datetime.date(2025, 1, 1), datetime.date(2025, 2, 28)


def run(user, history, **kw):
    f = Filters(pipeline_id=history["pipeline"].pk, date_from=kw.pop("date_from", JAN1),
                date_to=kw.pop("date_to", FEB28), mode=FLOW, **kw)
    return timing_report(user=user, filters=f)[1]


def test_stays(admin, history):
    t = run(admin, history)
    s1, s2, s3, s4, s5 = t.stages
    # Stage 1: A, B (skip), D (lost), D again (after the reopening: the archive is no stay),
    # E — one day each; C 13 days; F 16 days (entered in December, left 5 January).
    assert s1.stays == 7
    assert s1.mean_hours == 34 * 24 / 7
    assert (s1.median_hours, s1.p90_hours) == (24, 16 * 24)
    assert (s1.time_limit_hours, s1.over_limit, s1.over_limit_share) == (48, 2, 2 / 7)
    assert s1.histogram == [(24, 5), (13 * 24, 1), (16 * 24, 1)]
    # Stage 2: A, C twice (before and after the correction), E, F (lost there).
    assert (s2.stays, s2.mean_hours, s2.median_hours, s2.p90_hours) == (5, 24.0, 24, 24)
    assert s2.over_limit is None  # no limit on stage 2
    # Stage 3: A 8 days (won from it), B 2 days (lost), C 1 day (corrected back), E 1 day.
    assert (s3.stays, s3.mean_hours, s3.median_hours, s3.p90_hours) == (4, 72.0, 24, 192)
    # E left stage 4 on 3 March: outside the period.
    assert (s4.stays, s5.stays, s4.mean_hours) == (0, 0, None)


def test_cycle_and_velocity(admin, history):
    t = run(admin, history)
    assert (t.cycle.won, t.cycle.mean_days, t.cycle.median_days, t.cycle.p90_days) == (
        1, 10.0, 10, 10)
    assert [n for _lo, _hi, n in t.cycle.bands] == [0, 1, 0, 0, 0, 0, 0]
    v = t.velocity
    assert v.open == Amount(2, Decimal("700.00"))  # C and D, now
    # B and F lost in Jan–Feb; D's loss was taken back by its reopening in February.
    assert v.won == Amount(1, Decimal("100.00")) and v.lost == 2
    assert v.win_rate == 1 / 3
    assert v.average_won_budget == Decimal("100.00")
    assert v.average_cycle_days == Decimal("10.00")
    assert v.per_day == Decimal("6.67")  # 2 × ⅓ × 100 ÷ 10


def test_march(admin, history):
    t = run(admin, history, date_from=datetime.date(2025, 3, 1),
            date_to=datetime.date(2025, 3, 31))
    s4 = t.stages[3]
    assert (s4.stays, s4.median_hours) == (1, 23 * 24)  # E: 8 Feb → 3 Mar = 23 days
    assert t.cycle.median_days == 26  # E: 5 Feb → 3 Mar
    assert t.velocity.win_rate == 1.0 and t.velocity.per_day == Decimal("38.46")  # 2×500÷26


def test_manager_scope(manager, history):
    t = run(manager, history)
    assert t.stages[0].stays == 5  # A, B, C, D twice; not E or F
    assert t.velocity.open.n == 2 and t.velocity.lost == 1  # B (D's loss taken back)
