"""The Monte Carlo forecast: reproducible, and agreeing with the analytic mean."""

from decimal import Decimal

from voronka.forecast.montecarlo import (
    SimDeal,
    analytic_mean,
    close_in_month,
    residuals,
    simulate,
    weighted,
)

DEALS = [
    SimDeal(1, Decimal("100000"), 0.3, (5, 40), (3, 1)),  # closes in time 3 times out of 4
    SimDeal(2, Decimal("250000"), 0.6, (10,), (1,)),
    SimDeal(3, Decimal("50000"), 0.9, ()),  # no cycle history: this month
    SimDeal(4, Decimal("400000"), 0.1, (60,), (1,)),  # too late whatever happens
]


def test_same_seed_same_result_and_order_free():
    a = simulate(DEALS, days_left=20, base=Decimal("10000"), target=Decimal("300000"),
                 runs=3000, seed=7)
    b = simulate(list(reversed(DEALS)), days_left=20, base=Decimal("10000"),
                 target=Decimal("300000"), runs=3000, seed=7)
    assert a == b
    c = simulate(DEALS, days_left=20, base=Decimal("10000"), target=Decimal("300000"),
                 runs=3000, seed=8)
    assert c != a


def test_agrees_with_the_analytic_mean():
    # 10 000 + 100 000·0.3·0.75 + 250 000·0.6 + 50 000·0.9 + 0 = 227 500
    assert analytic_mean(DEALS, 20, Decimal("10000")) == Decimal("227500.00")
    sim = simulate(DEALS, days_left=20, base=Decimal("10000"), target=Decimal("300000"),
                   runs=40000, seed=3)
    # The standard deviation of the month's revenue is about 130 000: the mean of 40 000
    # runs is within ±2 000 (3 standard errors).
    assert abs(sim.mean - Decimal("227500")) < 2000
    assert sim.p10 <= sim.p50 <= sim.p90
    # 300 000 needs deal 2 (without it at most 160 000), and with it (260 000) deal 1 or 3:
    # 0.6 · (1 − (1 − 0.3·0.75)·(1 − 0.9)) = 0.6 · 0.9225 = 0.5535.
    assert abs(sim.p_plan_met - 0.5535) < 0.015


def test_pieces():
    assert close_in_month(DEALS[0], 20) == 0.75
    assert close_in_month(DEALS[3], 20) == 0.0
    assert residuals([(10, 2), (30, 1), (50, 1)], 20) == ((10, 30), (1, 1))
    assert residuals([(10, 2)], 20) == ((10,), (2,))  # older than every cycle: as if new
    assert weighted(DEALS) == Decimal("100000") * Decimal("0.3") + Decimal("150000") + \
        Decimal("45000") + Decimal("40000")
