"""Keeping the rollups equal to the raw log: incremental refresh and full rebuild.

Nothing in the write path (moves, deal services) knows about the rollups. Every change to a
deal that matters to a report leaves a row in an append-only log — a Transition (stage, status)
or a FieldChange (budget, owner, source) — so a refresh reads the logs past its marks, finds
the deals that changed, and for each one subtracts what its snapshot contributed and adds what
its current state contributes. Reports call :func:`ensure_fresh` first, so what they show is
exact as of the moment they ran; a periodic task or the ``analytics_refresh`` command keeps
the pending work small. Changing a pipeline's stage order or the time zone triggers a rebuild
of what they affect, and so does a change of the fact rules themselves (facts.FACTS_VERSION,
remembered in RefreshState: cells made under other rules are never refreshed, only rebuilt,
whether a report, ``analytics_refresh`` or ``analytics_verify`` comes first). Deleting a deal
(the product has no such service) needs ``analytics_rebuild``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from voronka.core.models import FieldChange
from voronka.deals.models import Deal, Transition
from voronka.pipelines.models import Stage

from .facts import (
    FACTS_VERSION,
    DealState,
    LocalDay,
    Move,
    Sums,
    accumulate,
    deal_facts,
    expand,
)
from .models import (
    CohortCell,
    DealSnapshot,
    DurationCell,
    FlowCell,
    PipelineShape,
    RefreshState,
)

TABLES = {
    "C": (CohortCell, ("furthest_stage_id", "stage_id", "status", "loss_reason_id"),
          "budget_cents"),
    "F": (FlowCell, ("kind", "stage_id", "loss_reason_id"), "budget_cents"),
    "D": (DurationCell, ("kind", "stage_id", "bucket"), "seconds"),
}
KEY_HEAD = ("pipeline_id", "level", "grain", "owner_id", "source", "day")
CHUNK = 2000


def _state_row() -> RefreshState:
    row = RefreshState.objects.filter(pk=1).first()
    if row is None:
        row, _created = RefreshState.objects.get_or_create(pk=1)
    return row


def stage_orders(pipeline_ids: Iterable[int] | None = None) -> dict[int, list[int]]:
    qs = Stage.objects.order_by("pipeline_id", "position", "id")
    if pipeline_ids is not None:
        qs = qs.filter(pipeline_id__in=list(pipeline_ids))
    orders: dict[int, list[int]] = defaultdict(list)
    for pipeline_id, stage_id in qs.values_list("pipeline_id", "id"):
        orders[pipeline_id].append(stage_id)
    return dict(orders)


def _horizon() -> tuple[int, int]:
    """The highest transition and field-change ids below which every writer has committed.

    On SQLite writers are serialised, so the maximum is safe. On PostgreSQL a transaction can
    commit after a later id has committed; a short SHARE lock waits for writers in flight (and
    gives up after a moment, leaving the work to the next refresh)."""
    with transaction.atomic():
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                cur.execute("SET LOCAL lock_timeout = '2s'")
                cur.execute(f"LOCK TABLE {Transition._meta.db_table}, "
                            f"{FieldChange._meta.db_table} IN SHARE MODE")
            cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Transition._meta.db_table}")
            t_max = cur.fetchone()[0]
            cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {FieldChange._meta.db_table}")
            c_max = cur.fetchone()[0]
    return int(t_max), int(c_max)


def ensure_fresh(pipeline_id: int | None = None, order: list[int] | None = None) -> None:
    """Bring the rollups up to date before a report reads them: one small query when nothing
    changed. ``order`` is the reported pipeline's stage order, to notice a reordering."""
    shape_sql = "NULL"
    params: list[object] = []
    if pipeline_id is not None:
        shape_sql = (f"(SELECT stage_order FROM {PipelineShape._meta.db_table} "
                     f"WHERE pipeline_id = %s)")
        params.append(pipeline_id)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT s.transition_mark, s.change_mark, s.time_zone, s.facts_version, "
            f"(SELECT MAX(id) FROM {Transition._meta.db_table}), "
            f"(SELECT MAX(id) FROM {FieldChange._meta.db_table}), {shape_sql} "
            f"FROM {RefreshState._meta.db_table} s WHERE s.id = 1", params)
        row = cur.fetchone()
    if row is None or row[2] != settings.TIME_ZONE or row[3] != FACTS_VERSION:
        _state_row()
        rebuild()
        return
    t_mark, c_mark, _tz, _version, t_max, c_max, shape = row
    if order is not None and shape is not None and shape != ",".join(map(str, order)):
        rebuild(pipeline_ids=[pipeline_id])
    elif (t_max or 0) > t_mark or (c_max or 0) > c_mark:
        try:
            refresh()
        except OperationalError:
            # PostgreSQL: a writer held the log too long (lock timeout). The cells are still
            # consistent as of the last refresh; the next report catches up.
            if connection.vendor != "postgresql":
                raise


def _rebuild_reordered() -> None:
    """A pipeline whose stages were reordered since its facts were made is rebuilt first:
    "first arrival at a stage" depends on the order, and the refresh recomputes the old facts
    with the current order."""
    known = dict(PipelineShape.objects.values_list("pipeline_id", "stage_order"))
    if not known:
        return
    orders = stage_orders(known)
    changed = [p for p, order in known.items() if ",".join(map(str, orders.get(p, []))) != order]
    if changed:
        rebuild(pipeline_ids=changed, then_refresh=False)


# --- reading deals and their logs ---------------------------------------------------------

_DEAL_COLUMNS = ("id", "pipeline_id", "owner_id", "source", "budget", "created_at",
                 "furthest_stage_id", "stage_id", "status", "loss_reason_id")


def _cents(value) -> int:
    from decimal import Decimal

    return int((Decimal(str(value)) * 100).to_integral_value())


def _deal_states(deal_ids: list[int], last_ids: dict[int, int]) -> dict[int, DealState]:
    rows = Deal.objects.filter(pk__in=deal_ids).values_list(*_DEAL_COLUMNS)
    if connection.vendor == "postgresql":
        rows = rows.select_for_update(of=("self",), no_key=True)
    out = {}
    for (pk, pipeline_id, owner_id, source, budget, created_at, furthest, stage, status,
         reason) in rows:
        out[pk] = DealState(pk, pipeline_id, owner_id, source or "", _cents(budget), created_at,
                            furthest, stage, status, reason or 0, last_ids.get(pk, 0))
    return out


def _moves(deal_ids: list[int]) -> dict[int, list[Move]]:
    out: dict[int, list[Move]] = defaultdict(list)
    rows = (Transition.objects.filter(deal_id__in=deal_ids).order_by("deal_id", "id")
            .values_list("deal_id", "id", "kind", "from_stage_id", "to_stage_id", "at",
                         "seconds_in_stage", "loss_reason_id", "budget"))
    for deal_id, pk, kind, src, dst, at, seconds, reason, budget in rows:
        out[deal_id].append(Move(pk, kind, src, dst, at, seconds or 0, reason or 0,
                                 None if budget is None else _cents(budget)))
    return out


def _snapshot_state(snap: DealSnapshot) -> DealState:
    return DealState(snap.deal_id, snap.pipeline_id, snap.owner_id, snap.source,
                     snap.budget_cents, snap.created_at, snap.furthest_stage_id, snap.stage_id,
                     snap.status, snap.loss_reason_id, snap.last_transition_id)


def _snapshot_row(state: DealState) -> DealSnapshot:
    return DealSnapshot(
        deal_id=state.deal_id, pipeline_id=state.pipeline_id, owner_id=state.owner_id,
        source=state.source, budget_cents=state.budget_cents, created_at=state.created_at,
        furthest_stage_id=state.furthest_stage_id, stage_id=state.stage_id,
        status=state.status, loss_reason_id=state.loss_reason_id,
        last_transition_id=state.last_transition_id)


# --- writing cells ------------------------------------------------------------------------

def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def write_deltas(deltas: Sums, *, bulk: bool = False) -> None:
    """Add the sums of ``deltas`` (facts.accumulate) to the cells. A refresh drops the cells
    that reach zero; a rebuild (``bulk``) only adds, through the fastest path there is."""
    by_table: dict[str, list[tuple]] = defaultdict(list)
    for (table, p, level, grain, day, owner, source, *rest), (n, value) in expand(
            deltas).items():
        if n == 0 and value == 0:
            continue
        by_table[table].append((p, level, grain, owner, source, day, *rest, n, value))
    for table, rows in by_table.items():
        model, extra, measure = TABLES[table]
        columns = [*KEY_HEAD, *extra]
        if bulk:
            _bulk_add(model, columns, measure, rows)
        else:
            _upsert(model, columns, measure, rows)


def _conflict_sql(model, key_columns: list[str], measure: str) -> tuple[str, str, str]:
    name = _quote(model._meta.db_table)
    cols = ", ".join(_quote(c) for c in (*key_columns, "n", measure))
    conflict = ", ".join(_quote(c) for c in key_columns)
    updates = ", ".join(f"{_quote(c)} = {name}.{_quote(c)} + excluded.{_quote(c)}"
                        for c in ("n", measure))
    return name, cols, f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"


def _upsert(model, key_columns: list[str], measure: str, rows: list[tuple]) -> None:
    name, cols, on_conflict = _conflict_sql(model, key_columns, measure)
    width = len(key_columns) + 2
    per_statement = max(1, min(500, 30000 // width))
    emptied: list[int] = []
    with connection.cursor() as cur:
        for start in range(0, len(rows), per_statement):
            batch = rows[start:start + per_statement]
            values = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(batch))
            cur.execute(f"INSERT INTO {name} ({cols}) VALUES {values} {on_conflict} "
                        f"RETURNING id, n, {_quote(measure)}", [v for row in batch for v in row])
            emptied.extend(pk for pk, n, value in cur.fetchall() if n == 0 and value == 0)
        for start in range(0, len(emptied), 900):
            ids = emptied[start:start + 900]
            cur.execute(f"DELETE FROM {name} WHERE id IN ({', '.join(['%s'] * len(ids))})", ids)


def _bulk_add(model, key_columns: list[str], measure: str, rows: list[tuple]) -> None:
    name, cols, on_conflict = _conflict_sql(model, key_columns, measure)
    rows.sort()  # in index order: the B-tree grows at its right edge
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            staging = f"{model._meta.db_table}_load"
            cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {staging} AS SELECT {cols} "
                        f"FROM {name} WITH NO DATA")
            with cur.cursor.copy(f"COPY {staging} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cur.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM {staging} "
                        f"{on_conflict}")
            cur.execute(f"TRUNCATE {staging}")
            return
        marks = ", ".join(["?"] * (len(key_columns) + 2))
        day = key_columns.index("day")
        cur.cursor.executemany(  # the sqlite3 cursor itself: no per-row Django overhead
            f"INSERT INTO {name} ({cols}) VALUES ({marks}) {on_conflict}",
            [(*r[:day], r[day].isoformat(), *r[day + 1:]) for r in rows])


# --- refresh ------------------------------------------------------------------------------

def _changed_deals(t_from: int, t_to: int, c_from: int, c_to: int) -> list[int]:
    ids = set(Transition.objects.filter(id__gt=t_from, id__lte=t_to)
              .values_list("deal_id", flat=True))
    ids.update(FieldChange.objects.filter(entity=FieldChange.Entity.DEAL, id__gt=c_from,
                                          id__lte=c_to).values_list("object_id", flat=True))
    return sorted(ids)


def apply_deals(deal_ids: list[int], local_day: LocalDay, orders: dict[int, list[int]]) -> int:
    """Re-derive the facts of ``deal_ids``: subtract each snapshot's, add the current ones."""
    deltas = Sums()
    snaps = {s.deal_id: s for s in DealSnapshot.objects.filter(deal_id__in=deal_ids)}
    moves = _moves(deal_ids)
    last_ids = {d: (ms[-1].id if ms else 0) for d, ms in moves.items()}
    states = _deal_states(deal_ids, last_ids)
    missing = set(orders.keys())
    need = {s.pipeline_id for s in states.values()} | {s.pipeline_id for s in snaps.values()}
    if need - missing:
        orders.update(stage_orders(need - missing))
    new_snaps = []
    for deal_id in deal_ids:
        history = moves.get(deal_id, [])
        snap = snaps.get(deal_id)
        if snap is not None:
            old = _snapshot_state(snap)
            accumulate(deltas, old, deal_facts(old, history, orders.get(old.pipeline_id, []),
                                               local_day), -1)
        state = states.get(deal_id)
        if state is not None:
            accumulate(deltas, state, deal_facts(state, history,
                                                 orders.get(state.pipeline_id, []), local_day))
            new_snaps.append(_snapshot_row(state))
    write_deltas(deltas)
    gone = [d for d in deal_ids if d not in states and d in snaps]
    if gone:
        DealSnapshot.objects.filter(deal_id__in=gone).delete()
    if new_snaps:
        DealSnapshot.objects.bulk_create(
            new_snaps, update_conflicts=True, unique_fields=["deal_id"],
            update_fields=[f.name for f in DealSnapshot._meta.concrete_fields
                           if f.name != "deal_id"])
    return len(deal_ids)


def _outdated(state: RefreshState) -> bool:
    """Cells made in another time zone or under other fact rules: a refresh would subtract
    facts they never had."""
    return state.time_zone != settings.TIME_ZONE or state.facts_version != FACTS_VERSION


def refresh() -> int:
    """Apply every change logged since the last refresh. Returns the number of deals redone
    (every deal when the cells were outdated and had to be rebuilt)."""
    from . import bulk

    if _outdated(_state_row()):
        return rebuild()
    _rebuild_reordered()
    t_max, c_max = _horizon()
    with bulk.exclusive(), transaction.atomic():
        state = _state_row()
        if t_max <= state.transition_mark and c_max <= state.change_mark:
            return 0
        deal_ids = _changed_deals(state.transition_mark, t_max, state.change_mark, c_max)
        local_day, orders = LocalDay(settings.TIME_ZONE), stage_orders()
        for start in range(0, len(deal_ids), CHUNK):
            apply_deals(deal_ids[start:start + CHUNK], local_day, orders)
        _remember_orders(orders)
        RefreshState.objects.filter(pk=state.pk).update(
            transition_mark=max(t_max, state.transition_mark),
            change_mark=max(c_max, state.change_mark), refreshed_at=timezone.now())
    return len(deal_ids)


def _remember_orders(orders: dict[int, list[int]]) -> None:
    known = dict(PipelineShape.objects.values_list("pipeline_id", "stage_order"))
    fresh = [PipelineShape(pipeline_id=p, stage_order=",".join(map(str, order)))
             for p, order in orders.items() if p not in known]
    if fresh:
        PipelineShape.objects.bulk_create(fresh, ignore_conflicts=True)


# --- rebuild ------------------------------------------------------------------------------

def rebuild(*, pipeline_ids: list[int] | None = None, batch: int = 20000,
            progress=None, then_refresh: bool = True) -> int:
    """Recompute the rollups from the raw tables (all pipelines, or only ``pipeline_ids``).

    Reads one consistent snapshot (REPEATABLE READ on PostgreSQL; SQLite's write transaction
    holds every writer off), so moves may go on meanwhile: what they add is past the marks
    and the next refresh applies it."""
    from . import bulk

    t_max, c_max = _horizon()
    with bulk.exclusive(), transaction.atomic():
        bulk.consistent_read()
        orders = stage_orders(pipeline_ids)
        bulk.clear(pipeline_ids)
        total = bulk.load(pipeline_ids, orders, LocalDay(settings.TIME_ZONE), batch, progress)
        shapes = PipelineShape.objects.all()
        if pipeline_ids is not None:
            shapes = shapes.filter(pipeline_id__in=pipeline_ids)
        shapes.delete()
        _remember_orders(orders)
        state = _state_row()
        updates: dict[str, object] = {"rebuilt_at": timezone.now()}
        if pipeline_ids is None:
            # Only a full rebuild makes every cell of this time zone and these rules.
            updates.update(transition_mark=t_max, change_mark=c_max,
                           time_zone=settings.TIME_ZONE, facts_version=FACTS_VERSION)
        RefreshState.objects.filter(pk=state.pk).update(**updates)
    if pipeline_ids is not None and then_refresh:
        refresh()
    return total
