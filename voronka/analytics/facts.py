"""The facts one deal contributes to the reports — pure functions, no database.

A deal's facts follow from its current state and its transitions (in id order, which is the
order they happened in: every move locks the deal). The same functions feed the full rebuild,
the incremental refresh and the tests, so there is one definition of every fact:

* cohort: ``("C", created day, furthest stage, stage, status, loss reason)`` — one per deal;
* flow: ``("F", day, kind, stage, reason, cents)`` — ``reach`` the first time the deal
  arrives at or beyond a stage (a skip reaches the skipped stages too; corrections and
  reopenings never reach anything again, so a stage is counted once per deal, ever); ``won``
  or ``lost`` (at the stage, with the reason) only for the deal's *standing close*: a flow
  report counts a win or loss only if it is the deal's last close and no reopening follows
  it, on the day of that close, at the budget recorded on it. A reopening corrects history:
  the close it undoes counts nowhere, and the deal's facts (pure functions of its state and
  transitions) lose it when it is refreshed. ``cents`` is the budget recorded on the
  transition (the deal's budget at the time of the move; the current one for old rows without
  it), so a later edit of the budget never changes a closed period. No fact is negative;
* durations: ``("D", day, "stay", stage, bucket, seconds)`` per stay that ended on ``day``
  (advance, skip, win, loss or correction leave a stage; a reopening does not, and the time
  spent in the archive is not a stay), ``("D", day, "cycle", 0, days, seconds)`` for the
  standing win only, measured from the deal's creation.

``FACTS_VERSION`` names these rules: the rollups remember the version they were built with
and are rebuilt when it differs (rollups.ensure_fresh), so a change of a rule never leaves
cells made under the old one. Bump it with any change to what a deal's facts are.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

# 1: the first rules (every win and loss counted); 2: a reopening emitted a negative close;
# 3: only the standing close (and its cycle) counts.
FACTS_VERSION = 3
HOUR, DAY, WEEK = 3600, 86400, 604800
# The kinds of transition that end a stay on ``from_stage``.
EXIT_KINDS = frozenset({"advance", "skip", "won", "lost", "correction"})


def stay_bucket(seconds: int) -> int:
    """A stay's duration rounded *up* to the report's resolution, in hours.

    Whole hours up to 3 days, whole days up to 90 days, whole weeks beyond. Percentiles are
    computed on this value, so they read the same from the rollups and from the raw log.
    "Over the time limit" is always exact: read from the buckets when the limit falls on a
    bucket edge (``limit_fits_buckets``), from the log's exact seconds otherwise.
    """
    if seconds <= 0:
        return 0
    hours = -(-seconds // HOUR)
    if hours <= 72:
        return hours
    days = -(-seconds // DAY)
    if days <= 90:
        return days * 24
    return -(-seconds // WEEK) * 168


def bucket_threshold(limit_hours: int) -> int:
    """The fewest seconds whose bucket exceeds ``limit_hours``."""
    lo, hi = 0, 10**10
    while lo < hi:
        mid = (lo + hi) // 2
        if stay_bucket(mid) > limit_hours:
            hi = mid
        else:
            lo = mid + 1
    return lo


def limit_fits_buckets(limit_hours: int) -> bool:
    """Whether "bucket > limit" is exactly "longer than the limit": limits of up to 72 h,
    whole days up to 90 days, whole weeks beyond. Other limits (97 h, 100 h…) fall inside a
    bucket, and the stays over them are counted from the log instead."""
    return bucket_threshold(limit_hours) == limit_hours * HOUR + 1


def cycle_bucket(seconds: int) -> int:
    """A created→won cycle in whole days, rounded up (a deal won on its first day: 1)."""
    return max(1, -(-seconds // DAY)) if seconds > 0 else 0


@dataclass(frozen=True, slots=True)
class DealState:
    deal_id: int
    pipeline_id: int
    owner_id: int
    source: str
    budget_cents: int
    created_at: datetime.datetime
    furthest_stage_id: int
    stage_id: int
    status: str
    loss_reason_id: int
    last_transition_id: int


@dataclass(frozen=True, slots=True)
class Move:
    """One transition, as the facts need it."""

    id: int
    kind: str
    from_stage_id: int | None
    to_stage_id: int
    at: datetime.datetime
    seconds: int
    loss_reason_id: int
    cents: int | None = None  # the budget recorded on the transition (None: not recorded)


class LocalDay:
    """UTC instant → local calendar day, cached per 15 minutes (every UTC offset in use is a
    multiple of 15 minutes, so a 15-minute slot never straddles a local midnight)."""

    def __init__(self, tz_name: str) -> None:
        self.tz = ZoneInfo(tz_name)
        self._cache: dict[int, datetime.date] = {}

    def __call__(self, at: datetime.datetime) -> datetime.date:
        if at.tzinfo is None:
            at = at.replace(tzinfo=datetime.UTC)
        slot = int(at.timestamp()) // 900
        day = self._cache.get(slot)
        if day is None:
            day = at.astimezone(self.tz).date()
            if len(self._cache) > 500_000:
                self._cache.clear()
            self._cache[slot] = day
        return day


def deal_facts(state: DealState, moves: Iterable[Move], order: Sequence[int],
               local_day: LocalDay) -> list[tuple]:
    """Every fact of one deal. ``order`` is the pipeline's stage ids, first to last; ``moves``
    are its transitions in id order (only those with id ≤ ``state.last_transition_id``)."""
    index = {stage_id: i for i, stage_id in enumerate(order)}
    facts: list[tuple] = [("C", local_day(state.created_at), state.furthest_stage_id,
                           state.stage_id, state.status, state.loss_reason_id)]
    reached = -1
    standing: list[tuple] = []  # the facts of the last close, dropped by a reopening
    for move in moves:
        if move.id > state.last_transition_id:
            break
        day = local_day(move.at)
        cents = state.budget_cents if move.cents is None else move.cents
        to = index.get(move.to_stage_id)
        if to is not None and move.kind != "correction" and to > reached:
            facts.extend(("F", day, "reach", order[i], 0, cents)
                         for i in range(reached + 1, to + 1))
            reached = to
        if move.kind == "won":
            cycle = max(0, int((move.at - state.created_at).total_seconds()))
            standing = [("F", day, "won", 0, 0, cents),
                        ("D", day, "cycle", 0, cycle_bucket(cycle), cycle)]
        elif move.kind == "lost":
            standing = [("F", day, "lost", move.to_stage_id, move.loss_reason_id, cents)]
        elif move.kind == "reopen":
            standing = []
        if move.kind in EXIT_KINDS and move.from_stage_id is not None:
            seconds = max(0, int(move.seconds))
            facts.append(("D", day, "stay", move.from_stage_id, stay_bucket(seconds), seconds))
    facts.extend(standing)
    return facts


# Which (level, grain) cells each table keeps. Level 0 = pipeline, 1 = × owner, 2 = × source,
# 3 = × owner × source; grain "m" = month, "d" = day. Month cells answer month-aligned periods
# under any filter. Day cells at levels with an owner or a source are about as many as the
# facts themselves, so they are kept only where a fact is cheap (cohort: one per deal) or
# where the raw log is expensive to re-read (flow needs each deal's history: level 0 only);
# the days at the edges of other periods are read from the raw log (query.py).
LATTICE: dict[str, frozenset[tuple[int, str]]] = {
    "C": frozenset({(0, "m"), (1, "m"), (2, "m"), (3, "m"), (0, "d"), (3, "d")}),
    "F": frozenset({(0, "m"), (1, "m"), (2, "m"), (3, "m"), (0, "d")}),
    "D": frozenset({(0, "m"), (1, "m"), (2, "m")}),
}


def fact_value(fact: tuple, state: DealState) -> int:
    """The second measure of a fact: the deal's budget (C), the budget recorded on the move
    (F) or the duration (D). The first measure is always 1: a fact is one deal, move or stay."""
    return state.budget_cents if fact[0] == "C" else fact[5]


class Sums:
    """Sums of facts before they become cells: by month with owner and source, and by day
    at the detail the day cells of each table need (so durations, kept by month only, are
    summed by month right away)."""

    __slots__ = ("by_day", "by_month", "_months")

    def __init__(self) -> None:
        self.by_month: dict[tuple, list[int]] = {}
        self.by_day: dict[tuple, list[int]] = {}
        self._months: dict[datetime.date, datetime.date] = {}

    def __len__(self) -> int:
        return len(self.by_month) + len(self.by_day)

    def month(self, day: datetime.date) -> datetime.date:
        month = self._months.get(day)
        if month is None:
            month = self._months[day] = day.replace(day=1)
        return month


_DAY_DETAIL = {table: (3 if (3, "d") in kept else 0 if (0, "d") in kept else None)
               for table, kept in LATTICE.items()}


def _add(into: dict, key: tuple, n: int, value: int) -> None:
    cell = into.get(key)
    if cell is None:
        into[key] = [n, value]
    else:
        cell[0] += n
        cell[1] += value


def accumulate(into: Sums, state: DealState, facts: Iterable[tuple], sign: int = 1) -> None:
    """Add (sign=1) or subtract (sign=-1) a deal's facts into ``into``."""
    p, o, s = state.pipeline_id, state.owner_id, state.source
    budget = state.budget_cents * sign
    by_month, by_day = into.by_month, into.by_day
    for fact in facts:
        table, day = fact[0], fact[1]
        if table == "C":
            rest, value = fact[2:], budget
        else:
            rest, value = fact[2:5], fact[5] * sign
        _add(by_month, (table, p, into.month(day), o, s, *rest), sign, value)
        detail = _DAY_DETAIL[table]
        if detail == 3:
            _add(by_day, (table, p, day, o, s, *rest), sign, value)
        elif detail == 0:
            _add(by_day, (table, p, day, 0, "", *rest), sign, value)


def expand(sums: Sums) -> dict[tuple, list[int]]:
    """Roll the sums up into the cells LATTICE keeps, coarser levels from finer ones. A cell
    key is ``(table, pipeline, level, grain, day, owner, source, *specific)``."""
    out: dict[tuple, list[int]] = {}
    level0_days: dict[tuple, list[int]] = {}
    for (table, p, day, o, s, *rest), (n, v) in sums.by_day.items():
        if not n and not v:
            continue
        if _DAY_DETAIL[table] == 3:
            out[(table, p, 3, "d", day, o, s, *rest)] = [n, v]
            if (0, "d") in LATTICE[table]:
                _add(level0_days, (table, p, day, *rest), n, v)
        else:
            out[(table, p, 0, "d", day, 0, "", *rest)] = [n, v]
    for (table, p, day, *rest), (n, v) in level0_days.items():
        out[(table, p, 0, "d", day, 0, "", *rest)] = [n, v]
    by_owner: dict[tuple, list[int]] = {}
    by_source: dict[tuple, list[int]] = {}
    for (table, p, month, o, s, *rest), (n, v) in sums.by_month.items():
        if not n and not v:
            continue
        if (3, "m") in LATTICE[table]:
            out[(table, p, 3, "m", month, o, s, *rest)] = [n, v]
        _add(by_owner, (table, p, month, o, *rest), n, v)
        _add(by_source, (table, p, month, s, *rest), n, v)
    by_pipeline: dict[tuple, list[int]] = {}
    for (table, p, month, o, *rest), (n, v) in by_owner.items():
        out[(table, p, 1, "m", month, o, "", *rest)] = [n, v]
        _add(by_pipeline, (table, p, month, *rest), n, v)
    for (table, p, month, s, *rest), (n, v) in by_source.items():
        out[(table, p, 2, "m", month, 0, s, *rest)] = [n, v]
    for (table, p, month, *rest), (n, v) in by_pipeline.items():
        out[(table, p, 0, "m", month, 0, "", *rest)] = [n, v]
    return out


def percentile(histogram: Sequence[tuple[int, int]], pct: int) -> int | None:
    """Nearest-rank percentile of a histogram [(value, count)…] sorted by value: the smallest
    value with at least ⌈pct/100 · n⌉ observations at or below it."""
    total = sum(c for _v, c in histogram)
    if total <= 0:
        return None
    rank = max(1, -(-pct * total // 100))
    seen = 0
    for value, count in histogram:
        seen += count
        if seen >= rank:
            return value
    return histogram[-1][0]
