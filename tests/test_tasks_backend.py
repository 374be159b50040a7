"""The job queue's backend (core/tasks_backend.py): its written-out enqueue stores the row
django-tasks-db's own enqueue stores, signals it the same way, and the worker runs it."""

import datetime

import pytest
from django.utils import timezone
from django_tasks import task, task_backends
from django_tasks.signals import task_enqueued
from django_tasks_db.backend import DatabaseBackend as StockBackend
from django_tasks_db.models import DBTaskResult, get_date_max

from voronka.core.tasks_backend import DatabaseBackend

from .jobs import run_jobs

RAN: list = []


@task(priority=7, queue_name="default")
def remember(*args, **kwargs):
    RAN.append((args, kwargs))
    return len(RAN)


COMPARED = [f.attname for f in DBTaskResult._meta.concrete_fields
            if f.attname not in ("id", "enqueued_at")]


def _row(result) -> dict:
    job = DBTaskResult.objects.get(pk=result.id)
    return {name: getattr(job, name) for name in COMPARED}


@pytest.mark.django_db
@pytest.mark.parametrize("run_after", [None, "later"])
def test_enqueue_stores_what_the_stock_backend_stores(run_after):
    backend = task_backends["default"]
    assert isinstance(backend, DatabaseBackend)
    stock = StockBackend("default", {"QUEUES": ["default"]})
    later = timezone.now() + datetime.timedelta(hours=3) if run_after else None
    job = remember.using(run_after=later) if later else remember
    args = (1, "два", {"deal": 3, "at": "2026-01-01T00:00:00+00:00"}, [None, True, 2.5])
    ours = backend.enqueue(job, args, {"reason": "Дорого"})
    theirs = stock.enqueue(job, args, {"reason": "Дорого"})
    assert _row(ours) == _row(theirs)
    stored = DBTaskResult.objects.get(pk=ours.id)
    assert stored.run_after == (later or get_date_max())
    assert stored.status == "READY" and stored.enqueued_at is not None
    assert (ours.id, ours.status, ours.args, ours.kwargs, ours.task.module_path) == (
        str(stored.pk), stored.task_result.status, list(args[:3]) + [[None, True, 2.5]],
        {"reason": "Дорого"}, remember.module_path)


@pytest.mark.django_db
def test_enqueue_signals_and_the_worker_runs_the_job():
    seen = []

    def receiver(sender, task_result, **kwargs):
        seen.append((sender, task_result.id))

    task_enqueued.connect(receiver)
    try:
        result = remember.enqueue(5, word="слово")
    finally:
        task_enqueued.disconnect(receiver)
    assert seen == [(DatabaseBackend, result.id)]
    RAN.clear()
    assert run_jobs() == 1
    assert RAN == [((5,), {"word": "слово"})]
    assert DBTaskResult.objects.get(pk=result.id).status == "SUCCESSFUL"
