"""Running queued jobs in a test, as the worker does."""

from __future__ import annotations

from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult


def make_worker(worker_id: str) -> Worker:
    """A worker as ``voronka worker`` runs one, for running claimed jobs in the test."""
    return Worker(queue_names=["*"], interval=0, batch=True, backend_name="default",
                  startup_delay=False, max_tasks=None, worker_id=worker_id,
                  excluded_queue_names=[])


def run_jobs(*, check: bool = True, limit: int = 500) -> int:
    """Run every job that is due, as the worker does (claim, then ``Worker.run_task``),
    including those the jobs queue, until none is left. Returns how many ran."""
    worker = make_worker("pytest")
    ran = 0
    while ran < limit:
        job = DBTaskResult.objects.ready().first()
        if job is None:
            return ran
        job.claim("pytest")
        worker.run_task(job)
        ran += 1
        if check:
            job.refresh_from_db()
            assert job.status == "SUCCESSFUL", job.traceback
    raise AssertionError("jobs keep queueing jobs: a loop?")
