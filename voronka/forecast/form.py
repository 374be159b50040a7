"""The individual funnel form (seed 003, "индивидуальная форма воронки"): a manager's own
stage-to-stage conversions, average won budget and sales-cycle lengths over a trailing window,
read from the analytics rollups (voronka.analytics — nothing is recomputed here).

Conversions are *cohort* conversions: of the deals created in the window, the share that
reached stage k+1 among those that reached stage k and are no longer open on it (the last
stage converts to "won"; a deal still sitting on the stage has not decided yet). A
manager with fewer than ``MIN_CLOSED`` closed deals (won + lost) in the window has too little
history to stand on: their form falls back to the team's figures as a whole (conversions,
average won budget and cycle). The window (``DEFAULT_MONTHS``) and the threshold are the
``VORONKA_FORECAST_MONTHS`` and ``VORONKA_FORECAST_MIN_CLOSED`` settings.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from voronka.accounts.models import User
from voronka.analytics.funnel import Funnel, build_funnel, funnel_by_owner, funnel_cells
from voronka.analytics.query import COHORT, Amount, Context, Filters, Scope, StageInfo, cells
from voronka.analytics.rollups import ensure_fresh
from voronka.pipelines.models import LossReason, Pipeline, Stage

DEFAULT_MONTHS = 6
MIN_CLOSED = 20


def window_months() -> int:
    return int(getattr(settings, "VORONKA_FORECAST_MONTHS", DEFAULT_MONTHS))


def min_closed() -> int:
    return int(getattr(settings, "VORONKA_FORECAST_MIN_CLOSED", MIN_CLOSED))


def months_back(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` months earlier (clamped to the month's length)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    import calendar

    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass
class FormStage:
    id: int
    name: str
    index: int
    reached: Amount
    conversion: float | None  # to the next stage; the last stage's is to "won"
    win_probability: float | None  # product of the conversions from here to "won"


@dataclass
class FunnelForm:
    pipeline_id: int
    owner_id: int | None  # None: the team's form
    date_from: datetime.date
    date_to: datetime.date
    closed: int  # the subject's own closed deals in the window
    own: bool  # False: too few closed deals, the team's figures stand in
    stages: list[FormStage]
    won: Amount
    average_won_budget: Decimal | None
    cycle_days: list[tuple[int, int]] = field(default_factory=list)  # (days, wins) histogram

    def probability(self, stage_id: int) -> float | None:
        return next((s.win_probability for s in self.stages if s.id == stage_id), None)


def team_owners(pipeline: Pipeline) -> frozenset[int]:
    return frozenset(User.objects.filter(team_id=pipeline.team_id).values_list("pk", flat=True))


def history_context(pipeline: Pipeline, date_from: datetime.date, date_to: datetime.date,
                    owners: frozenset[int] | None = None) -> Context:
    """A report context over the team's deals (jobs run without a viewing user: who may see
    a form is decided by the caller)."""
    rows = list(Stage.objects.filter(pipeline_id=pipeline.pk).order_by("position", "id"))
    stages = [StageInfo(s.pk, s.name, i, s.time_limit_hours) for i, s in enumerate(rows)]
    reasons = dict(LossReason.objects.filter(pipeline_id=pipeline.pk)
                   .values_list("pk", "name"))
    ensure_fresh(pipeline.pk, [s.id for s in stages])
    filters = Filters(pipeline.pk, date_from, date_to, COHORT)
    owners = team_owners(pipeline) if owners is None else owners
    return Context(pipeline, stages, reasons, filters, Scope(pipeline.pk, owners, None))


def _stages(funnel: Funnel) -> list[FormStage]:
    out = []
    for i, s in enumerate(funnel.stages):
        following = (funnel.stages[i + 1].reached.n if i + 1 < len(funnel.stages)
                     else funnel.won.n)
        # Deals still open on the stage have not decided yet: leaving them in the
        # denominator would read every fresh deal as a failure to convert.
        decided = s.reached.n - s.now.n
        out.append(FormStage(s.id, s.name, s.index, s.reached,
                             following / decided if decided > 0 else None, None))
    prob: float | None = 1.0
    for stage in reversed(out):
        prob = prob * stage.conversion if prob is not None and stage.conversion else None
        stage.win_probability = prob
    return out


def _cycles(rows: dict[tuple, list[int]], owner: int | None) -> list[tuple[int, int]]:
    hist: dict[int, int] = {}
    for key, (n, _secs) in rows.items():
        who, (kind, _stage, bucket) = (key[0], key[1:]) if owner is not None else (None, key)
        if kind == "cycle" and who == owner:
            hist[int(bucket)] = hist.get(int(bucket), 0) + n
    return sorted(hist.items())


def _form(pipeline_id, owner_id, ctx, funnel: Funnel, closed: int, own: bool,
          cycles: list[tuple[int, int]]) -> FunnelForm:
    won = funnel.won
    avg = (won.budget / won.n).quantize(Decimal("0.01")) if won.n else None
    return FunnelForm(pipeline_id, owner_id, ctx.filters.date_from, ctx.filters.date_to,
                      closed, own, _stages(funnel), won, avg, cycles)


def funnel_forms(pipeline: Pipeline, *, as_of: datetime.date | None = None,
                 months: int | None = None) -> tuple[FunnelForm, dict[int, FunnelForm]]:
    """The team's form and every team member's (own or, with too little history, the team's
    figures), over the ``months`` before ``as_of``."""
    as_of = as_of or timezone.localdate()
    months = months or window_months()
    ctx = history_context(pipeline, months_back(as_of, months), as_of)
    team_funnel = build_funnel(ctx, COHORT, *funnel_cells(ctx))
    by_owner = funnel_by_owner(ctx)
    period = (ctx.filters.date_from, ctx.filters.date_to)
    durations = cells("D", ctx.scope, period, ("kind", "stage_id", "bucket"), by_owner=True)
    team_cycles: dict[int, int] = {}
    for days, n in (c for o in ctx.scope.owners or () for c in _cycles(durations, o)):
        team_cycles[days] = team_cycles.get(days, 0) + n
    team_closed = team_funnel.won.n + team_funnel.lost.n
    team = _form(pipeline.pk, None, ctx, team_funnel, team_closed, True,
                 sorted(team_cycles.items()))
    forms: dict[int, FunnelForm] = {}
    threshold = min_closed()
    for owner in sorted(ctx.scope.owners or ()):
        funnel = by_owner.get(owner)
        closed = funnel.won.n + funnel.lost.n if funnel else 0
        if funnel is not None and closed >= threshold:
            forms[owner] = _form(pipeline.pk, owner, ctx, funnel, closed, True,
                                 _cycles(durations, owner))
        else:
            forms[owner] = FunnelForm(pipeline.pk, owner, team.date_from, team.date_to, closed,
                                      False, team.stages, team.won, team.average_won_budget,
                                      team.cycle_days)
    return team, forms
