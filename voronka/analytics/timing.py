"""Time in stage, the sales cycle and pipeline velocity.

A *stay* is the time a deal spent on a stage, counted when it left the stage (advance, skip,
win, loss or correction) within the period; a reopened deal starts a new stay, and the time in
the archive is nobody's stay. Mean is exact; median and 90th percentile are nearest-rank on
the durations rounded up to the report's resolution (facts.stay_bucket: hours up to 3 days,
days up to 90, weeks beyond). A stay is *over the limit* when it is longer than the stage's
time limit, exactly: from the buckets when the limit is on their edge
(facts.limit_fits_buckets), else from the log, one grouped query for all such stages.

The *cycle* runs from a deal's creation to its standing win — the deal's last close, if it
is a win no reopening followed — for the standing wins made in the period. *Pipeline
velocity* = open deals × win rate × average won budget ÷ average cycle in days: the money the
current pipeline is expected to bring per day. It, the win rate and the averages are None
("—") whenever what they divide by is not positive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q

from voronka.accounts.models import User
from voronka.deals.models import Transition

from .facts import EXIT_KINDS, limit_fits_buckets, percentile
from .query import Amount, Context, Filters, cells, context, day_bounds, ratio

CYCLE_BANDS = ((0, 7), (8, 14), (15, 30), (31, 60), (61, 90), (91, 180), (181, None))


@dataclass
class StageTime:
    id: int
    name: str
    index: int
    time_limit_hours: int | None
    stays: int = 0
    mean_hours: float | None = None
    median_hours: int | None = None
    p90_hours: int | None = None
    over_limit: int | None = None
    over_limit_share: float | None = None
    histogram: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Cycle:
    won: int
    mean_days: float | None
    median_days: int | None
    p90_days: int | None
    bands: list[tuple[int, int | None, int]]  # (from day, to day or None, deals)


@dataclass
class Velocity:
    open: Amount
    won: Amount
    lost: int
    win_rate: float | None
    average_won_budget: Decimal | None
    average_cycle_days: Decimal | None
    per_day: Decimal | None

    @property
    def closed(self) -> int:
        """Wins and losses of the period: what the win rate divides by."""
        return self.won.n + self.lost


@dataclass
class Timing:
    stages: list[StageTime]
    cycle: Cycle
    velocity: Velocity


def stays_over(ctx: Context, limits: dict[int, int]) -> dict[int, int]:
    """Per stage id: the stays of the period on it longer than its limit (``limits``: stage id
    → hours), counted from the log in one grouped query for all the stages (the same moves as
    the duration facts: the deals of the pipeline in the scope, by their owner and source
    now). Stages without such stays are left out."""
    if not limits:
        return {}
    scope, f = ctx.scope, ctx.filters
    start, end = day_bounds(f.date_from, f.date_to)
    over = Q()
    for stage_id, hours in limits.items():
        over |= Q(from_stage_id=stage_id, seconds_in_stage__gt=hours * 3600)
    qs = Transition.objects.filter(
        over, pipeline_id=scope.pipeline_id, at__gte=start, at__lt=end, kind__in=EXIT_KINDS,
        deal__pipeline_id=scope.pipeline_id)
    if scope.owners is not None:
        qs = qs.filter(deal__owner_id__in=scope.owners)
    if scope.source is not None:
        qs = qs.filter(deal__source=scope.source)
    return dict(qs.order_by().values("from_stage_id").annotate(n=Count("id"))
                .values_list("from_stage_id", "n"))


def stage_times(ctx: Context, rows: dict[tuple, list[int]]) -> list[StageTime]:
    out = [StageTime(s.id, s.name, s.index, s.time_limit_hours) for s in ctx.stages]
    by_id = {s.id: s for s in out}
    hist: dict[int, list[tuple[int, int]]] = {s.id: [] for s in out}
    seconds: dict[int, int] = {s.id: 0 for s in out}
    for (kind, stage_id, bucket), (n, secs) in rows.items():
        if kind == "stay" and stage_id in hist:
            hist[stage_id].append((int(bucket), n))
            seconds[stage_id] += secs
    from_log: dict[int, int] = {}  # limits inside a bucket: counted from the log, at once
    for stage_id, histogram in hist.items():
        st = by_id[stage_id]
        histogram.sort()
        st.histogram = histogram
        st.stays = sum(n for _b, n in histogram)
        if st.stays:
            st.mean_hours = seconds[stage_id] / st.stays / 3600
            st.median_hours = percentile(histogram, 50)
            st.p90_hours = percentile(histogram, 90)
        if st.time_limit_hours:
            limit = st.time_limit_hours
            if limit_fits_buckets(limit):
                st.over_limit = sum(n for b, n in histogram if b > limit)
            elif st.stays:
                from_log[stage_id] = limit
            else:
                st.over_limit = 0
    counted = stays_over(ctx, from_log)
    for stage_id in from_log:
        by_id[stage_id].over_limit = counted.get(stage_id, 0)
    for st in out:
        if st.over_limit is not None:
            st.over_limit_share = ratio(st.over_limit, st.stays)
    return out


def cycle(rows: dict[tuple, list[int]]) -> Cycle:
    histogram = sorted((int(b), n) for (kind, _s, b), (n, _secs) in rows.items()
                       if kind == "cycle")
    seconds = sum(secs for (kind, _s, _b), (_n, secs) in rows.items() if kind == "cycle")
    won = sum(n for _b, n in histogram)
    bands = [(lo, hi, sum(n for b, n in histogram if b >= lo and (hi is None or b <= hi)))
             for lo, hi in CYCLE_BANDS]
    return Cycle(won, seconds / won / 86400 if won > 0 else None, percentile(histogram, 50),
                 percentile(histogram, 90), bands)


def velocity(outcomes: dict[tuple, list[int]], open_now: dict[tuple, list[int]],
             cycle_rows: dict[tuple, list[int]]) -> Velocity:
    """From flow cells by kind (wins, losses of the period), the open deals now and the
    duration cells of the period."""
    won = Amount.of(outcomes.get(("won",)))
    lost = outcomes.get(("lost",), [0, 0])[0]
    cycle_n = sum(n for (kind, _s, _b), (n, _x) in cycle_rows.items() if kind == "cycle")
    cycle_s = sum(s for (kind, _s, _b), (_n, s) in cycle_rows.items() if kind == "cycle")
    open_amount = Amount.of(open_now.get(()))
    closed = won.n + lost
    # Every quotient only over a positive count: "—" (None) rather than a division error.
    avg_budget = (won.budget / won.n).quantize(Decimal("0.01")) if won.n > 0 else None
    avg_days = (Decimal(cycle_s) / cycle_n / 86400) if cycle_n > 0 else None
    per_day = None
    if won.n > 0 and closed > 0 and avg_days is not None and avg_days > 0:
        # open × (won ÷ closed) × (won budget ÷ won) ÷ days = open × won budget ÷ closed ÷ days
        per_day = (open_amount.n * won.budget / closed / avg_days).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP)
    return Velocity(open_amount, won, lost, ratio(won.n, closed), avg_budget,
                    avg_days.quantize(Decimal("0.01")) if avg_days is not None else None,
                    per_day)


def timing_report(*, user: User, filters: Filters) -> tuple[Context, Timing]:
    ctx = context(user, filters)
    period = (filters.date_from, filters.date_to)
    rows = cells("D", ctx.scope, period, ("kind", "stage_id", "bucket"))
    outcomes = cells("F", ctx.scope, period, ("kind",))
    open_now = cells("C", ctx.scope, None, (), where={"status": "open"})
    return ctx, Timing(stage_times(ctx, rows), cycle(rows), velocity(outcomes, open_now, rows))
