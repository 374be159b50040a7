"""Report filters, who-sees-what as rollup constraints, and reading the cells.

Visibility (voronka.deals.visibility.deal_scope_q) depends only on a deal's pipeline and its
owner, so inside one pipeline it becomes "all owners" or "these owners". Together with the
filters (team = the owner's team, manager, source) that picks the coarsest rollup level that
can answer exactly, and the period is cut into whole months (month cells) and the days at its
edges (day cells).
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from voronka.accounts.models import Role, User
from voronka.pipelines.models import LossReason, Pipeline, Stage

from .facts import LATTICE
from .models import CohortCell, DurationCell, FlowCell
from .rollups import ensure_fresh

COHORT, FLOW = "cohort", "flow"
MODES = (COHORT, FLOW)
NO_SOURCE = "—"  # the filter value for "deals without a source"


@dataclass(frozen=True)
class Filters:
    pipeline_id: int
    date_from: datetime.date
    date_to: datetime.date
    mode: str = COHORT
    team_id: int | None = None
    owner_id: int | None = None
    source: str | None = None  # None: any; "" (NO_SOURCE in forms): deals without a source

    def as_query(self) -> dict[str, str]:
        """The filters as GET parameters (links to drill-downs and exports keep them)."""
        out = {"pipeline": str(self.pipeline_id), "from": self.date_from.isoformat(),
               "to": self.date_to.isoformat(), "mode": self.mode}
        if self.team_id:
            out["team"] = str(self.team_id)
        if self.owner_id:
            out["manager"] = str(self.owner_id)
        if self.source is not None:
            out["source"] = self.source or NO_SOURCE
        return out


@dataclass(frozen=True)
class Scope:
    """The deals of one pipeline a report may count: owners None = every owner."""

    pipeline_id: int
    owners: frozenset[int] | None
    source: str | None

    @property
    def empty(self) -> bool:
        return self.owners is not None and not self.owners


def owners_visible(user: User, pipeline: Pipeline) -> frozenset[int] | None:
    """deal_scope_q restricted to one pipeline, as an owner constraint (None: all owners)."""
    if not user.is_active:
        return frozenset()
    if user.is_admin:
        return None
    if user.role == Role.MANAGER:
        return frozenset({user.pk})
    if user.team_id is None:
        return None if user.role == Role.MARKETER else frozenset()
    if pipeline.team_id == user.team_id:
        return None
    if user.role == Role.HEAD:
        return frozenset(User.objects.filter(team_id=user.team_id).values_list("pk", flat=True))
    return frozenset()


def resolve(user: User, filters: Filters, pipeline: Pipeline | None = None) -> Scope:
    pipeline = pipeline or Pipeline.objects.get(pk=filters.pipeline_id)
    owners = owners_visible(user, pipeline)
    if filters.team_id:
        team = frozenset(User.objects.filter(team_id=filters.team_id)
                         .values_list("pk", flat=True))
        owners = team if owners is None else owners & team
    if filters.owner_id:
        one = frozenset({filters.owner_id})
        owners = one if owners is None else owners & one
    return Scope(pipeline.pk, owners, filters.source)


def month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def period_parts(first: datetime.date, last: datetime.date) -> list[tuple[str, datetime.date,
                                                                           datetime.date]]:
    """[first, last] as (grain, from, to) pieces: whole months as "m", the rest as "d"."""
    parts: list[tuple[str, datetime.date, datetime.date]] = []
    if last < first:
        return parts
    day = first
    while day <= last:
        end = month_end(day)
        if day.day == 1 and end <= last:
            if parts and parts[-1][0] == "m":
                parts[-1] = ("m", parts[-1][1], day)
            else:
                parts.append(("m", day, day))
        else:
            parts.append(("d", day, min(end, last)))
        day = end + datetime.timedelta(days=1)
    return parts


def _level(scope: Scope, by_owner: bool) -> int:
    has_owner = scope.owners is not None or by_owner
    has_source = scope.source is not None
    return {(False, False): 0, (True, False): 1, (False, True): 2, (True, True): 3}[
        (has_owner, has_source)]


def day_bounds(first: datetime.date, last: datetime.date) -> tuple[datetime.datetime,
                                                                    datetime.datetime]:
    """[first 00:00, the day after last 00:00) in the current time zone."""
    tz = timezone.get_default_timezone()
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min,
                                    tzinfo=tz)
    return start, end


TABLE_MODELS = {"C": CohortCell, "F": FlowCell, "D": DurationCell}
MEASURES = {"C": "budget_cents", "F": "budget_cents", "D": "seconds"}


def _pick(table: str, level: int, grain: str) -> int | None:
    """The level whose cells answer (level, grain) exactly, or None: read the raw log."""
    kept = LATTICE[table]
    if (level, grain) in kept:
        return level
    return 3 if (3, grain) in kept else None


def cells(table: str, scope: Scope, period: tuple[datetime.date, datetime.date] | None,
          group: tuple[str, ...], *, by_owner: bool = False, daily: bool = False,
          where: dict[str, object] | None = None) -> dict[tuple, list[int]]:
    """Sum the facts of ``table`` ("C", "F", "D") within ``scope`` and ``period`` (None: all
    time) by ``group`` columns (prefixed by owner_id when ``by_owner``): key → [n, measure].
    ``where`` adds equality constraints on the table's own columns; ``daily`` cuts the period
    into days only (for grouping by ``day``). Pieces of the period the rollups do not keep
    (facts.LATTICE) are computed from the raw log, so every answer is exact. The caller has
    made the rollups fresh (``context`` does)."""
    out: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    if scope.empty:
        return out
    columns = (("owner_id",) if by_owner else ()) + group
    level = _level(scope, by_owner)
    if period is None:
        pieces = [("m", None, None)]
    elif daily:
        pieces = [("d", *period)] if period[0] <= period[1] else []
    else:
        pieces = period_parts(*period)
    for grain, start, end in pieces:
        for sign, rows in _piece(table, scope, level, grain, start, end, columns, group,
                                 by_owner, where):
            for key, (n, measure) in rows:
                cell = out[key]
                cell[0] += sign * n
                cell[1] += sign * measure
    for key in [k for k, (n, measure) in out.items() if not n and not measure]:
        del out[key]
    return out


def _piece(table, scope, level, grain, start, end, columns, group, by_owner, where):
    """How to read one piece of the period: [(sign, rows)…]."""
    lvl = _pick(table, level, grain)
    if lvl is not None:
        return [(1, _read(table, scope, lvl, grain, start, end, columns, where))]
    if start is None:
        return [(1, _raw(table, scope, None, group, by_owner, where))]
    if grain == "m":
        return [(1, _raw(table, scope, day_bounds(start, month_end(end)), group, by_owner,
                         where))]
    # Part of a month without day cells at this level: the raw log for those days, or the
    # month's cells less the raw log for the rest of the month, whichever reads fewer days.
    first, last = start.replace(day=1), month_end(start)
    month_lvl = _pick(table, level, "m")
    rest = (first - start).days * -1 + (last - end).days
    if month_lvl is None or "day" in group or end > last or rest >= (end - start).days + 1:
        return [(1, _raw(table, scope, day_bounds(start, end), group, by_owner, where))]
    parts = [(1, _read(table, scope, month_lvl, "m", first, first, columns, where))]
    one = datetime.timedelta(days=1)
    for a, b in ((first, start - one), (end + one, last)):
        if a <= b:
            parts.append((-1, _raw(table, scope, day_bounds(a, b), group, by_owner, where)))
    return parts


def _read(table, scope, level, grain, start, end, columns, where):
    name = connection.ops.quote_name(TABLE_MODELS[table]._meta.db_table)
    select = ", ".join(columns)
    sql = [f"SELECT {select}{', ' if select else ''}SUM(n), SUM({MEASURES[table]}) "
           f"FROM {name} WHERE pipeline_id = %s AND level = %s AND grain = %s"]
    params: list[object] = [scope.pipeline_id, level, grain]
    if start is not None:
        sql.append("AND day >= %s AND day <= %s")
        params += [start, end]
    if scope.owners is not None:
        owners = sorted(scope.owners)
        sql.append(f"AND owner_id IN ({', '.join(['%s'] * len(owners))})")
        params += owners
    if scope.source is not None:
        sql.append("AND source = %s")
        params.append(scope.source)
    for column, value in (where or {}).items():
        sql.append(f"AND {column} = %s")
        params.append(value)
    if columns:
        sql.append(f"GROUP BY {select}")
    with connection.cursor() as cur:
        cur.execute(" ".join(sql), params)
        return [(tuple(row[:-2]), (int(row[-2]), int(row[-1] or 0)))
                for row in cur.fetchall() if row[-2] or row[-1]]


def _raw(table, scope, bounds, group, by_owner, where):
    from django.conf import settings

    from .raw import Dialect, raw_cells

    with connection.cursor() as cur:
        rows = raw_cells(cur, Dialect(connection.vendor, settings.TIME_ZONE), table,
                         scope.pipeline_id, None, group, owners=scope.owners,
                         source=scope.source, by_owner=by_owner, where=where,
                         bounds=bounds)
    return [(key, (n, measure)) for key, (n, measure) in rows.items()]


def money(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Amount:
    """A count of deals and their total budget (the two numbers of every funnel stage)."""

    n: int = 0
    budget: Decimal = Decimal("0.00")

    @classmethod
    def of(cls, cell: list[int] | None) -> Amount:
        return cls(cell[0], money(cell[1])) if cell else cls()

    def __add__(self, other: Amount) -> Amount:
        return Amount(self.n + other.n, self.budget + other.budget)


def ratio(num: int, den: int) -> float | None:
    """num ÷ den, or None (shown as "—") when the denominator is not positive."""
    return num / den if den > 0 else None


@dataclass(frozen=True)
class StageInfo:
    id: int
    name: str
    index: int
    time_limit_hours: int | None


@dataclass
class Context:
    """What every report needs besides the numbers: the pipeline, its stages and reasons."""

    pipeline: Pipeline
    stages: list[StageInfo]
    reasons: dict[int, str]
    filters: Filters
    scope: Scope
    generated_at: datetime.datetime = field(default_factory=timezone.now)

    @property
    def order(self) -> list[int]:
        return [s.id for s in self.stages]


def context(user: User, filters: Filters) -> Context:
    """The pipeline, its stages and reasons, the user's scope; and fresh rollups."""
    rows = list(Stage.objects.filter(pipeline_id=filters.pipeline_id)
                .select_related("pipeline").order_by("position", "id"))
    pipeline = rows[0].pipeline if rows else Pipeline.objects.get(pk=filters.pipeline_id)
    stages = [StageInfo(s.pk, s.name, i, s.time_limit_hours) for i, s in enumerate(rows)]
    reasons = dict(LossReason.objects.filter(pipeline_id=pipeline.pk)
                   .order_by("position", "id").values_list("pk", "name"))
    ensure_fresh(pipeline.pk, [s.id for s in stages])
    return Context(pipeline, stages, reasons, filters, resolve(user, filters, pipeline))
