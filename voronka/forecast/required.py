"""The required pipeline: working backwards from the month's plan through the funnel form.

What is left of the plan = the plan minus what was won this month. Required wins = the
revenue left ÷ the average won budget, rounded up, and at least the won-deal target left.
Required on the last stage = required wins ÷ its conversion to "won"; required on stage k =
required on stage k+1 ÷ the conversion k→k+1. A stage with no conversion history (no deal
reached it in the window, or none went further) cannot be worked back through: it and every
stage before it are flagged "no history" instead of dividing by zero.

"There now" on stage k = the open deals that have reached stage k (they sit on it or further),
so every stage is compared with deals that have at least its chance of winning. Budget
required on a stage = the revenue left ÷ the conversions from it to "won" (the count may be
raised by the won-deal target; the money is not: once the revenue is made, no stage is short
of budget). Shortfall = what is
required minus what is there, never below zero; a stage with a shortfall in count or budget
is *short*.

One requirement, not prorated: the open deals on a stage are a stock, and the stock needed to
win what is still left of the plan is the whole requirement, whatever the day ("если эти
сделки есть, то в конце месяца есть шанс выйти на план"). What is won lowers the requirement
by itself. Plan at risk (seed 003: "если на середину месяца есть отклонения от этих цифр в
меньшую сторону, значит план под угрозой"): from the middle of the month (``CHECK_DAY``) a
short stage puts the plan at risk and the daily check raises the alarm; before it the screen
shows the same shortfall as a warning.
"""

from __future__ import annotations

import calendar
import datetime
import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from voronka.analytics.query import Amount

EPS = 1e-9
CHECK_DAY = 15  # "на середину месяца": the day the shortfall becomes "plan at risk"


@dataclass
class RequiredStage:
    id: int
    name: str
    index: int
    conversion: float | None
    now: Amount
    required_n: float | None = None  # exact; shown rounded up
    required_budget: Decimal | None = None
    no_history: bool = False
    checked: bool = False  # the middle of the month is reached: a shortfall is an alarm

    @property
    def required_count(self) -> int | None:
        return None if self.required_n is None else math.ceil(self.required_n - EPS)

    @property
    def deficit_n(self) -> int | None:
        return None if self.required_n is None else max(0, self.required_count - self.now.n)

    @property
    def deficit_budget(self) -> Decimal | None:
        if self.required_budget is None:
            return None
        return max(Decimal("0.00"), self.required_budget - self.now.budget)

    @property
    def short(self) -> bool:
        """Fewer deals, or less budget, on this stage and further than required."""
        return bool(self.deficit_n) or bool(self.deficit_budget)

    @property
    def at_risk(self) -> bool:
        return self.checked and self.short


@dataclass
class Required:
    revenue_left: Decimal
    wins_left: int
    required_wins: int | None  # None: no average won budget to turn revenue into deals
    stages: list[RequiredStage]
    progress: float  # the share of the month gone (shown; the requirement is not prorated)
    check_from: datetime.date  # from this day a short stage puts the plan at risk
    checked: bool  # that day has come

    @property
    def short(self) -> bool:
        return any(s.short for s in self.stages)

    @property
    def at_risk(self) -> bool:
        return any(s.at_risk for s in self.stages)


def month_progress(day: datetime.date) -> float:
    """Day d of a D-day month → d/D (the last day counts as the whole month)."""
    return day.day / calendar.monthrange(day.year, day.month)[1]


def check_day(day: datetime.date) -> datetime.date:
    """The middle of ``day``'s month: from it on, a short stage is "plan at risk"."""
    return day.replace(day=CHECK_DAY)


def required_wins(revenue_left: Decimal, wins_left: int,
                  average_won_budget: Decimal | None) -> int | None:
    by_revenue = 0
    if revenue_left > 0:
        if not average_won_budget:
            return None
        by_revenue = int((revenue_left / average_won_budget).to_integral_value(ROUND_CEILING))
    return max(by_revenue, wins_left, 0)


def required_pipeline(*, stages: list[tuple[int, str]], conversions: list[float | None],
                      now: list[Amount], average_won_budget: Decimal | None,
                      revenue_target: Decimal, wins_target: int, won: Amount,
                      as_of: datetime.date) -> Required:
    """The pure calculation (see the module's docstring); lists are in stage order."""
    revenue_left = max(Decimal("0.00"), revenue_target - won.budget)
    wins_left = max(0, wins_target - won.n)
    wins = required_wins(revenue_left, wins_left, average_won_budget)
    checked = as_of >= check_day(as_of)
    out = [RequiredStage(sid, name, i, conversions[i], now[i], checked=checked)
           for i, (sid, name) in enumerate(stages)]
    need: float | None = None if wins is None else float(wins)
    money = revenue_left  # worked back through the same conversions as the count
    for stage in reversed(out):
        if need is not None and need > 0:
            if stage.conversion:
                need = need / stage.conversion
                money = money / Decimal(str(stage.conversion))
            else:
                need = None
        if need is None:
            stage.no_history = True
            continue
        stage.required_n = need
        if average_won_budget is not None or not revenue_left:
            stage.required_budget = money.quantize(Decimal("0.01"))
    return Required(revenue_left, wins_left, wins, out, month_progress(as_of),
                    check_day(as_of), checked)


def reached_now(stage_ids: list[int], open_by_stage: dict[int, Amount]) -> list[Amount]:
    """Open deals on stage k or further, for every k."""
    out: list[Amount] = []
    running = Amount()
    for sid in reversed(stage_ids):
        running = running + open_by_stage.get(sid, Amount())
        out.append(running)
    return list(reversed(out))


def month_bounds(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    first = day.replace(day=1)
    return first, first.replace(day=calendar.monthrange(day.year, day.month)[1])
