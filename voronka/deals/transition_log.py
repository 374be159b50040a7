"""Writing a stage change: the transition appended to the log and the deal's new state."""

from __future__ import annotations

from django.db import connections, router
from django.db.models import Q
from django.db.models.sql import InsertQuery, UpdateQuery

from .models import Deal, Transition


def append(tr: Transition, *, deal_id: int, updates: dict) -> None:
    """Insert the transition and update the deal. On PostgreSQL in one statement (a
    data-modifying WITH): each statement of a move is a round trip to the server, which is
    most of a move's time there (bench/moves.py); both are compiled by the ORM."""
    if tr.budget is None:
        # The budget the move is valued at in the reports (a later edit leaves it alone).
        tr.budget = updates.get("budget", tr.deal.budget)
    conn = connections[router.db_for_write(Deal)]
    if conn.vendor != "postgresql":
        tr.save(force_insert=True)
        Deal.objects.filter(pk=deal_id).update(**updates)
        return
    insert = InsertQuery(Transition)
    insert.insert_values([f for f in Transition._meta.local_concrete_fields
                          if not f.primary_key], [tr])
    compiler = insert.get_compiler(connection=conn)
    compiler.returning_fields = [Transition._meta.pk]
    [(insert_sql, insert_params)] = compiler.as_sql()
    update = UpdateQuery(Deal)
    update.add_update_values(updates)
    update.add_q(Q(pk=deal_id))
    update_sql, update_params = update.get_compiler(connection=conn).as_sql()
    pk = conn.ops.quote_name(Transition._meta.pk.column)
    with conn.cursor() as cursor:
        cursor.execute(f"WITH t AS ({insert_sql}) {update_sql} RETURNING (SELECT {pk} FROM t)",
                       (*insert_params, *update_params))
        tr.pk = cursor.fetchone()[0]
    tr._state.adding, tr._state.db = False, conn.alias
