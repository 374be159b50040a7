"""Required pipeline worked back by hand (voronka.forecast.required)."""

import datetime
from decimal import Decimal

from voronka.analytics.query import Amount
from voronka.forecast.required import month_progress, reached_now, required_pipeline

STAGES = [(1, "Встреча"), (2, "ТЗ"), (3, "Договор")]


def _req(conversions, now, *, avg=Decimal("100000"), revenue=Decimal("1000000"), wins=0,
         won=None, progress=0.5):
    return required_pipeline(stages=STAGES, conversions=conversions, now=now,
                             average_won_budget=avg, revenue_target=revenue, wins_target=wins,
                             won=won or Amount(), progress=progress)


def test_worked_back_through_the_conversions():
    # 1 000 000 / 100 000 = 10 wins; ÷ 0.5 = 20 on "Договор"; ÷ 0.4 = 50 on "ТЗ";
    # ÷ 0.25 = 200 on "Встреча".
    now = [Amount(150, Decimal("15000000")), Amount(30, Decimal("3000000")),
           Amount(12, Decimal("1200000"))]
    r = _req([0.25, 0.4, 0.5], now)
    assert r.required_wins == 10
    assert [s.required_count for s in r.stages] == [200, 50, 20]
    assert [s.required_budget for s in r.stages] == [Decimal("20000000.00"),
                                                     Decimal("5000000.00"),
                                                     Decimal("2000000.00")]
    assert [s.deficit_n for s in r.stages] == [50, 20, 8]
    assert r.stages[0].deficit_budget == Decimal("5000000")
    # Mid-month (progress 0.5) the due counts are 100, 25, 10: 150 and 30 are enough,
    # 12 deals on "Договор" too; the budgets 15M ≥ 10M, 3M ≥ 2.5M, 1.2M ≥ 1M.
    assert [s.due_n for s in r.stages] == [100, 25, 10]
    assert not r.at_risk


def test_below_the_prorated_requirement_is_at_risk():
    now = [Amount(150, Decimal("15000000")), Amount(20, Decimal("2000000")),
           Amount(12, Decimal("1200000"))]
    r = _req([0.25, 0.4, 0.5], now)
    assert [s.at_risk for s in r.stages] == [False, True, False]  # 20 < 25 due
    assert r.at_risk


def test_budget_below_flags_too():
    now = [Amount(150, Decimal("15000000")), Amount(30, Decimal("3000000")),
           Amount(12, Decimal("900000"))]  # 12 ≥ 10 deals but 0.9M < 1M
    assert [s.at_risk for s in _req([0.25, 0.4, 0.5], now).stages] == [False, False, True]


def test_zero_conversion_history_is_flagged_not_divided():
    now = [Amount(5, Decimal("500000")), Amount(1, Decimal("1")), Amount()]
    r = _req([0.25, 0.0, 0.5], now)  # nobody went from "ТЗ" to "Договор"
    assert r.stages[2].required_count == 20 and not r.stages[2].no_history
    assert r.stages[1].no_history and r.stages[1].required_n is None
    assert r.stages[0].no_history and r.stages[0].deficit_n is None  # worked back through ТЗ
    assert not r.stages[0].at_risk and not r.stages[1].at_risk
    r = _req([None, 0.4, 0.5], now)  # nobody reached the first stage in the window
    assert [s.no_history for s in r.stages] == [True, False, False]
    assert [s.required_count for s in r.stages] == [None, 50, 20]


def test_wins_target_and_what_is_already_won():
    # 1 000 000 − 400 000 won = 600 000 left → 6 wins; but 8 − 1 = 7 won deals are still
    # asked for: 7 wins, ÷ 0.5 = 14 on the last stage.
    r = _req([0.5, 0.5, 0.5], [Amount()] * 3, wins=8, won=Amount(1, Decimal("400000")))
    assert (r.revenue_left, r.wins_left, r.required_wins) == (Decimal("600000"), 7, 7)
    assert [s.required_count for s in r.stages] == [56, 28, 14]


def test_rounding_up_and_met_plan():
    r = _req([1 / 3, 0.5, 0.7], [Amount()] * 3, revenue=Decimal("250000"))
    assert r.required_wins == 3  # 2.5 rounded up
    assert [s.required_count for s in r.stages] == [26, 9, 5]  # 4.29→5, 8.57→9, 25.7→26
    met = _req([0.5] * 3, [Amount()] * 3, won=Amount(12, Decimal("1200000")))
    assert met.required_wins == 0
    assert [s.required_count for s in met.stages] == [0, 0, 0] and not met.at_risk


def test_no_average_won_budget():
    r = _req([0.5] * 3, [Amount()] * 3, avg=None)
    assert r.required_wins is None and all(s.no_history for s in r.stages)


def test_reached_now_and_progress():
    now = reached_now([1, 2, 3], {1: Amount(5, Decimal("5")), 3: Amount(2, Decimal("20"))})
    assert now == [Amount(7, Decimal("25")), Amount(2, Decimal("20")), Amount(2, Decimal("20"))]
    assert month_progress(datetime.date(2026, 11, 15)) == 0.5
    assert month_progress(datetime.date(2026, 2, 28)) == 1.0
