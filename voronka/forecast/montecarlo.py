"""The month's revenue by simulation over the open deals.

Each run: every open deal is won with its probability (P(win | stage, manager) or the learned
model's), and if won it closes after a number of days drawn from the manager's won-cycle
distribution *given the deal's age* (cycles longer than the deal already is, minus its age);
a deal older than every recorded cycle draws from the whole distribution, as if starting now.
Without any cycle history a won deal is assumed to close this month. The month's revenue =
what was already won this month + the budgets of the deals won and closed by the month's end.
Reported: P10/P50/P90, the mean, and P(plan met) = share of runs reaching the revenue target.
Reproducible: the same seed and inputs give the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

DEFAULT_RUNS = 5000
DEFAULT_SEED = 20240601


@dataclass(frozen=True)
class SimDeal:
    deal_id: int
    budget: Decimal
    probability: float
    residual_days: tuple[int, ...]  # possible days until close (empty: closes this month)
    weights: tuple[int, ...] = ()  # how often each residual was seen


@dataclass(frozen=True)
class Simulation:
    runs: int
    seed: int
    mean: Decimal
    p10: Decimal
    p50: Decimal
    p90: Decimal
    p_plan_met: float | None


def residuals(cycles: list[tuple[int, int]], age_days: int) -> tuple[tuple[int, ...],
                                                                     tuple[int, ...]]:
    """Days left to close for a deal ``age_days`` old, from a (days, count) histogram."""
    later = [(d - age_days, n) for d, n in cycles if d > age_days and n > 0]
    pool = later or [(d, n) for d, n in cycles if n > 0]
    return tuple(d for d, _n in pool), tuple(n for _d, n in pool)


def close_in_month(deal: SimDeal, days_left: int) -> float:
    """P(the deal, once won, closes within ``days_left`` days)."""
    if not deal.residual_days:
        return 1.0
    weights = deal.weights or (1,) * len(deal.residual_days)
    inside = sum(w for d, w in zip(deal.residual_days, weights, strict=True) if d <= days_left)
    return inside / sum(weights)


def analytic_mean(deals: list[SimDeal], days_left: int, base: Decimal) -> Decimal:
    total = sum((float(d.budget) * d.probability * close_in_month(d, days_left) for d in deals),
                0.0)
    return (base + Decimal(str(total))).quantize(Decimal("0.01"))


def _q(value: float) -> Decimal:
    return Decimal(str(round(float(value), 2))).quantize(Decimal("0.01"))


def simulate(deals: list[SimDeal], *, days_left: int, base: Decimal = Decimal("0"),
             target: Decimal | None = None, runs: int = DEFAULT_RUNS,
             seed: int = DEFAULT_SEED) -> Simulation:
    rng = np.random.default_rng(seed)
    revenue = np.full(runs, float(base))
    # Deals in id order so the draws do not depend on how the caller listed them.
    for deal in sorted(deals, key=lambda d: d.deal_id):
        won = rng.random(runs) < deal.probability
        if deal.residual_days:
            days = np.asarray(deal.residual_days)
            weights = np.asarray(deal.weights or (1,) * len(days), dtype=float)
            drawn = rng.choice(days, size=runs, p=weights / weights.sum())
            inside = drawn <= days_left
        else:
            inside = np.ones(runs, dtype=bool)
        revenue += np.where(won & inside, float(deal.budget), 0.0)
    p10, p50, p90 = np.percentile(revenue, [10, 50, 90])
    met = None if target is None else float(np.mean(revenue >= float(target) - 0.005))
    return Simulation(runs, seed, _q(revenue.mean()), _q(p10), _q(p50), _q(p90), met)


def weighted(deals: list[SimDeal]) -> Decimal:
    """Σ budget × P(win): the weighted pipeline, whenever the deals close."""
    return sum((d.budget * Decimal(str(round(d.probability, 6))) for d in deals),
               Decimal("0")).quantize(Decimal("0.01"))
