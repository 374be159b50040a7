"""The individual funnel form (seed 003, "индивидуальная форма воронки"): a manager's own
stage-to-stage conversions, average won budget and sales-cycle lengths over a trailing window,
read from the analytics rollups (voronka.analytics — nothing is recomputed here).

Conversions are *cohort* conversions: of the deals created in the window, the share that
reached stage k+1 among those that have *decided* on stage k — reached it and either went
further, won or were lost (the last stage converts to "won"). Both sides read the furthest
stage a deal ever reached: the undecided are the open deals whose furthest stage is k, so a
deal an administrator corrected back to stage k after it had reached k+1 counts as converted
on k (in the numerator and the denominator alike), and no conversion exceeds 100 %.

A manager with fewer than ``MIN_CLOSED`` closed deals (won + lost) in the window has too little
history to stand on: their form borrows the team's *rates* — conversions, win probabilities,
average won budget and cycle lengths — while the counts and budgets stay the manager's own
(a manager never sees the team's deals through their form). The window (``DEFAULT_MONTHS``)
and the threshold are the ``VORONKA_FORECAST_MONTHS`` and ``VORONKA_FORECAST_MIN_CLOSED``
settings.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from voronka.accounts.models import User
from voronka.analytics.funnel import Funnel, build_funnel, funnel_cells, split_by_owner
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
    own: bool  # False: too few closed deals, the team's rates stand in
    stages: list[FormStage]  # reached: always the subject's own
    won: Amount  # the subject's own
    average_won_budget: Decimal | None  # the team's when not ``own``
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


def undecided(main: dict[tuple, list[int]]) -> dict[int, int]:
    """Cohort cells (…, furthest, stage, status, reason) → open deals by their furthest stage:
    the deals that have not decided on that stage yet."""
    out: dict[int, int] = {}
    for key, (n, _cents) in main.items():
        furthest, _stage, status, _reason = key[-4:]
        if status == "open":
            out[furthest] = out.get(furthest, 0) + n
    return out


def _stages(funnel: Funnel, open_by_furthest: dict[int, int]) -> list[FormStage]:
    out = []
    for i, s in enumerate(funnel.stages):
        following = (funnel.stages[i + 1].reached.n if i + 1 < len(funnel.stages)
                     else funnel.won.n)
        # Deals still open that have gone no further than this stage have not decided on it:
        # leaving them in the denominator would read every fresh deal as a failure. A deal
        # open on an earlier stage after a correction has decided here (it went further).
        decided = s.reached.n - open_by_furthest.get(s.id, 0)
        conversion = min(1.0, following / decided) if decided > 0 else None  # ≤ 1: a guard
        out.append(FormStage(s.id, s.name, s.index, s.reached, conversion, None))
    prob: float | None = 1.0
    for stage in reversed(out):
        prob = prob * stage.conversion if prob is not None and stage.conversion else None
        stage.win_probability = None if prob is None else min(1.0, prob)
    return out


def _cycles(rows: dict[tuple, list[int]], owner: int | None) -> list[tuple[int, int]]:
    hist: dict[int, int] = {}
    for key, (n, _secs) in rows.items():
        who, (kind, _stage, bucket) = (key[0], key[1:]) if owner is not None else (None, key)
        if kind == "cycle" and who == owner:
            hist[int(bucket)] = hist.get(int(bucket), 0) + n
    return sorted(hist.items())


def _form(pipeline_id, owner_id, ctx, funnel: Funnel, open_by_furthest: dict[int, int],
          closed: int, cycles: list[tuple[int, int]]) -> FunnelForm:
    won = funnel.won
    avg = (won.budget / won.n).quantize(Decimal("0.01")) if won.n else None
    return FunnelForm(pipeline_id, owner_id, ctx.filters.date_from, ctx.filters.date_to,
                      closed, True, _stages(funnel, open_by_furthest), won, avg, cycles)


def borrowed_form(team: FunnelForm, owner_id: int, funnel: Funnel | None,
              closed: int) -> FunnelForm:
    """A form with too little history: the team's rates over the owner's own counts."""
    own = {s.id: s.reached for s in funnel.stages} if funnel else {}
    stages = [FormStage(s.id, s.name, s.index, own.get(s.id, Amount()), s.conversion,
                        s.win_probability) for s in team.stages]
    return FunnelForm(team.pipeline_id, owner_id, team.date_from, team.date_to, closed, False,
                      stages, funnel.won if funnel else Amount(), team.average_won_budget,
                      team.cycle_days)


def funnel_forms(pipeline: Pipeline, *, as_of: datetime.date | None = None,
                 months: int | None = None) -> tuple[FunnelForm, dict[int, FunnelForm]]:
    """The team's form and every team member's (own or, with too little history, the team's
    rates over their own counts), over the ``months`` before ``as_of``."""
    as_of = as_of or timezone.localdate()
    months = months or window_months()
    ctx = history_context(pipeline, months_back(as_of, months), as_of)
    main, now = funnel_cells(ctx)
    team_funnel = build_funnel(ctx, COHORT, main, now)
    owner_main, owner_now = funnel_cells(ctx, by_owner=True)
    mains, nows = split_by_owner(owner_main), split_by_owner(owner_now)
    period = (ctx.filters.date_from, ctx.filters.date_to)
    durations = cells("D", ctx.scope, period, ("kind", "stage_id", "bucket"), by_owner=True)
    team_cycles: dict[int, int] = {}
    for days, n in (c for o in ctx.scope.owners or () for c in _cycles(durations, o)):
        team_cycles[days] = team_cycles.get(days, 0) + n
    team_closed = team_funnel.won.n + team_funnel.lost.n
    team = _form(pipeline.pk, None, ctx, team_funnel, undecided(main), team_closed,
                 sorted(team_cycles.items()))
    forms: dict[int, FunnelForm] = {}
    threshold = min_closed()
    for owner in sorted(ctx.scope.owners or ()):
        funnel = None
        if owner in mains or owner in nows:
            funnel = build_funnel(ctx, COHORT, mains.get(owner, {}), nows.get(owner, {}))
        closed = funnel.won.n + funnel.lost.n if funnel else 0
        if funnel is not None and closed >= threshold:
            forms[owner] = _form(pipeline.pk, owner, ctx, funnel, undecided(mains.get(owner, {})),
                                 closed, _cycles(durations, owner))
        else:
            forms[owner] = borrowed_form(team, owner, funnel, closed)
    return team, forms
