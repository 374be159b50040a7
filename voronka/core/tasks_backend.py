"""The job queue's backend: django-tasks-db's, with a cheaper enqueue.

Jobs are queued inside the publishing service's transaction — a move that automation rules
listen to queues one — so enqueueing is on the hot path of every such move. The stock
enqueue builds the row through the ORM (model, ``pre_save`` signal, the INSERT compiled for
each call) and its ``TaskResult`` twice: ~0.25 ms, half of what five rules add to a move
(bench/automation.py). Here the same row goes in by one written-out INSERT whose values are
prepared by the model's own fields; the result, the ``task_enqueued`` signal and what the
worker reads are unchanged.
"""

from __future__ import annotations

from typing import Any

from django.db import connections, router
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend as StockDatabaseBackend
from django_tasks_db.compat import normalize_json, task_enqueued
from django_tasks_db.models import DBTaskResult, get_date_max

from .rawsql import quoted

# vendor -> (the INSERT statement, the fields in its order)
_INSERTS: dict[str, tuple[str, list]] = {}


def _insert_sql(conn: Any) -> tuple[str, list]:
    found = _INSERTS.get(conn.vendor)
    if found is None:
        fields = list(DBTaskResult._meta.concrete_fields)
        columns = ", ".join(conn.ops.quote_name(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        found = _INSERTS[conn.vendor] = (
            f"INSERT INTO {quoted(conn, DBTaskResult)} ({columns}) VALUES ({marks})", fields)
    return found


class DatabaseBackend(StockDatabaseBackend):
    """``TASKS["default"]["BACKEND"]``: django-tasks-db's backend, enqueue written out."""

    def enqueue(self, task: Any, args: Any, kwargs: Any) -> Any:
        self.validate_task(task)
        job = DBTaskResult(
            id=self._get_id(), enqueued_at=timezone.now(),
            args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
            priority=task.priority, task_path=task.module_path, queue_name=task.queue_name,
            # What django-tasks-db's pre_save handler puts for "as soon as possible".
            run_after=task.run_after if task.run_after is not None else get_date_max(),
            backend_name=self.alias)
        alias = router.db_for_write(DBTaskResult)
        conn = connections[alias]
        sql, fields = _insert_sql(conn)
        params = [f.get_db_prep_save(getattr(job, f.attname), conn) for f in fields]
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
        job._state.adding, job._state.db = False, alias
        result = job.task_result
        task_enqueued.send(type(self), task_result=result)
        return result
