"""The fast path of a full rebuild: raw cursors in, batched upserts out.

The ORM costs microseconds per row; a rebuild reads millions. Rows are read with plain SQL in
deal-id batches (memory stays bounded), facts are summed per batch in Python, and the sums are
added to the cells with one multi-row upsert per few hundred cells (PostgreSQL: COPY into a
temporary table, then one INSERT … ON CONFLICT).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager

from django.db import connection

from voronka.deals.models import Deal, Transition

from .facts import DealState, LocalDay, Move, Sums, accumulate, deal_facts
from .models import CohortCell, DealSnapshot, DurationCell, FlowCell

LOCK_KEY = 0x766F726F6E6B61  # "voronka": one refresher or rebuilder at a time


@contextmanager
def exclusive():
    """One refresh/rebuild at a time. PostgreSQL: a session advisory lock taken before the
    transaction starts, so a REPEATABLE READ snapshot never predates a rival's commit.
    SQLite: the IMMEDIATE write transaction already serialises writers."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


def consistent_read() -> None:
    """Make the current (outermost) PostgreSQL transaction read one snapshot throughout."""
    if connection.vendor == "postgresql" and connection.savepoint_ids == []:
        with connection.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def clear(pipeline_ids: list[int] | None) -> None:
    with connection.cursor() as cur:
        for model in (CohortCell, FlowCell, DurationCell, DealSnapshot):
            table = _q(model._meta.db_table)
            if pipeline_ids is None:
                cur.execute(f"DELETE FROM {table}")
            else:
                marks = ", ".join(["%s"] * len(pipeline_ids))
                cur.execute(f"DELETE FROM {table} WHERE pipeline_id IN ({marks})", pipeline_ids)


def _aware(value):
    import datetime

    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)


def _read_deals(cur, after: int, size: int, pipeline_ids: list[int] | None) -> list[tuple]:
    deal = _q(Deal._meta.db_table)
    where, params = "id > %s", [after]
    if pipeline_ids is not None:
        where += f" AND pipeline_id IN ({', '.join(['%s'] * len(pipeline_ids))})"
        params += pipeline_ids
    cur.execute(
        f"SELECT id, pipeline_id, owner_id, source, CAST(ROUND(budget * 100) AS BIGINT), "
        f"created_at, furthest_stage_id, stage_id, status, loss_reason_id FROM {deal} "
        f"WHERE {where} ORDER BY id LIMIT %s", [*params, size])
    return cur.fetchall()


def _read_moves(cur, first: int, last: int) -> dict[int, list[Move]]:
    table = _q(Transition._meta.db_table)
    cur.execute(
        f"SELECT deal_id, id, kind, from_stage_id, to_stage_id, at, seconds_in_stage, "
        f"loss_reason_id, CAST(ROUND(budget * 100) AS BIGINT) FROM {table} "
        f"WHERE deal_id >= %s AND deal_id <= %s ORDER BY deal_id, id", [first, last])
    out: dict[int, list[Move]] = defaultdict(list)
    for deal_id, pk, kind, src, dst, at, seconds, reason, cents in cur.fetchall():
        out[deal_id].append(Move(pk, kind, src, dst, _aware(at), seconds or 0, reason or 0,
                                 None if cents is None else int(cents)))
    return out


def load(pipeline_ids: list[int] | None, orders: dict[int, list[int]], local_day: LocalDay,
         size: int, progress: Callable[[int], None] | None = None,
         flush_at: int = 1_500_000) -> int:
    """Read every deal (of ``pipeline_ids``) and its transitions; add their facts to cells.
    Sums are kept in memory until ``flush_at`` distinct keys, then added to the cells."""
    from .rollups import write_deltas

    total, after = 0, 0
    deltas = Sums()
    with connection.cursor() as cur:
        while True:
            deals = _read_deals(cur, after, size, pipeline_ids)
            if not deals:
                break
            moves = _read_moves(cur, deals[0][0], deals[-1][0])
            snaps = []
            for (pk, pipeline_id, owner_id, source, cents, created_at, furthest, stage, status,
                 reason) in deals:
                history = moves.get(pk, [])
                state = DealState(pk, pipeline_id, owner_id, source or "", int(cents or 0),
                                  _aware(created_at), furthest, stage, status, reason or 0,
                                  history[-1].id if history else 0)
                accumulate(deltas, state, deal_facts(state, history,
                                                     orders.get(pipeline_id, []), local_day))
                snaps.append(state)
            _insert_snapshots(cur, snaps)
            if len(deltas) >= flush_at:
                write_deltas(deltas, bulk=True)
                deltas = Sums()
            total += len(deals)
            after = deals[-1][0]
            if progress:
                progress(total)
        write_deltas(deltas, bulk=True)
    return total


_SNAP_COLUMNS = ("deal_id", "pipeline_id", "owner_id", "source", "budget_cents", "created_at",
                 "furthest_stage_id", "stage_id", "status", "loss_reason_id",
                 "last_transition_id")


def _insert_snapshots(cur, states: list[DealState]) -> None:
    table = _q(DealSnapshot._meta.db_table)
    rows = [(s.deal_id, s.pipeline_id, s.owner_id, s.source, s.budget_cents, s.created_at,
             s.furthest_stage_id, s.stage_id, s.status, s.loss_reason_id, s.last_transition_id)
            for s in states]
    cols = ", ".join(_SNAP_COLUMNS)
    if connection.vendor == "postgresql":
        with cur.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join(["%s"] * len(_SNAP_COLUMNS))
    cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})",
                    [(*r[:5], connection.ops.adapt_datetimefield_value(r[5]), *r[6:])
                     for r in rows])
