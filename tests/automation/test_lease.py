"""The lease: jobs left RUNNING by a dead worker go back in the queue; live ones stay."""

import datetime

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from voronka.automation import jobs as lease
from voronka.automation.models import WorkerHeartbeat
from voronka.integrations.tasks import send_email


def _running(worker_id: str, started_ago_s: float, claims: int = 1) -> DBTaskResult:
    send_email.enqueue(123)
    job = DBTaskResult.objects.get(status="READY")
    job.claim(worker_id)
    DBTaskResult.objects.filter(pk=job.pk).update(
        started_at=timezone.now() - datetime.timedelta(seconds=started_ago_s),
        worker_ids=[f"w{i}" for i in range(claims - 1)] + [worker_id])
    return job


def test_a_dead_workers_job_is_requeued(db, settings):
    settings.VORONKA_JOB_LEASE_SECONDS = 30
    lease.heartbeat("dead")
    WorkerHeartbeat.objects.filter(worker_id="dead").update(
        last_seen=timezone.now() - datetime.timedelta(seconds=60))
    job = _running("dead", started_ago_s=45)
    assert lease.requeue_stale() == 1
    job.refresh_from_db()
    assert job.status == "READY" and job.started_at is None and job.worker_ids[-1] == "dead"


def test_a_live_workers_long_job_stays(db, settings):
    settings.VORONKA_JOB_LEASE_SECONDS = 30
    lease.heartbeat("alive")
    job = _running("alive", started_ago_s=3600)
    assert lease.requeue_stale() == 0
    job.refresh_from_db()
    assert job.status == "RUNNING"


def test_a_just_claimed_job_is_not_taken_from_an_unknown_worker(db, settings):
    """No heartbeat row (a plain db_worker, say): only a job older than the lease is reaped."""
    settings.VORONKA_JOB_LEASE_SECONDS = 30
    young = _running("plain", started_ago_s=5)
    assert lease.requeue_stale() == 0
    DBTaskResult.objects.filter(pk=young.pk).update(
        started_at=timezone.now() - datetime.timedelta(seconds=31))
    assert lease.requeue_stale() == 1


def test_a_job_that_keeps_killing_workers_is_failed(db, settings):
    settings.VORONKA_JOB_LEASE_SECONDS = 30
    job = _running("w-last", started_ago_s=60, claims=lease.MAX_CLAIMS)
    assert lease.requeue_stale() == 0
    job.refresh_from_db()
    assert job.status == "FAILED" and "LostWorker" in job.exception_class_path


def test_old_heartbeats_and_results_are_cleaned(db, settings):
    settings.VORONKA_JOB_LEASE_SECONDS = 30
    lease.heartbeat("ghost")
    WorkerHeartbeat.objects.filter(worker_id="ghost").update(
        last_seen=timezone.now() - datetime.timedelta(hours=1))
    lease.requeue_stale()
    assert not WorkerHeartbeat.objects.exists()
    send_email.enqueue(1)
    job = DBTaskResult.objects.get()
    job.set_successful(None)
    DBTaskResult.objects.update(finished_at=timezone.now() - datetime.timedelta(days=8))
    assert lease.prune_finished() == 1
