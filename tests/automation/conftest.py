import pytest
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult


def run_jobs(*, check: bool = True, limit: int = 500) -> int:
    """Run every job that is due, as the worker does (claim, then ``Worker.run_task``),
    including those the jobs queue, until none is left. Returns how many ran."""
    worker = Worker(queue_names=["*"], interval=0, batch=True, backend_name="default",
                    startup_delay=False, max_tasks=None, worker_id="pytest",
                    excluded_queue_names=[])
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


@pytest.fixture
def jobs(db):
    return run_jobs


@pytest.fixture
def mail(settings):
    from django.core import mail as django_mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    django_mail.outbox = []
    return django_mail
