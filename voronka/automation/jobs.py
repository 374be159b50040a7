"""The job worker's lease: heartbeats, re-queueing jobs a dead worker left RUNNING, pruning.

django-tasks-db marks a job RUNNING when a worker claims it and never looks at it again; a
worker killed mid-job (kill -9, OOM, a lost machine) would leave it RUNNING for ever. Each
``voronka worker`` therefore writes a heartbeat every ``lease / 4`` seconds, and every
worker's maintenance thread puts back in the queue the RUNNING jobs whose worker has not
been seen for a whole lease. Jobs are idempotent by key, so a job re-run after its worker
died never doubles a side effect. A job whose workers keep dying under it (it crashes the
process, say) is failed after ``MAX_CLAIMS`` claims instead of looping.
"""

from __future__ import annotations

import datetime
import logging
import os
import socket
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)

MAX_CLAIMS = 5


def lease_seconds() -> float:
    return float(getattr(settings, "VORONKA_JOB_LEASE_SECONDS", 120))


def heartbeat(worker_id: str, *, started: bool = False) -> None:
    now = timezone.now()
    updated = WorkerHeartbeat.objects.filter(worker_id=worker_id).update(last_seen=now)
    if not updated or started:
        WorkerHeartbeat.objects.update_or_create(
            worker_id=worker_id, defaults={"hostname": socket.gethostname()[:200],
                                           "pid": os.getpid(), "last_seen": now})


def forget(worker_id: str) -> None:
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


class LostWorker(Exception):
    """Recorded on a job failed after its workers died under it too many times."""


def requeue_stale(*, now: datetime.datetime | None = None) -> int:
    """Put back in the queue the RUNNING jobs of workers not seen for a lease. Returns how many
    (jobs failed for too many lost workers are not counted)."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=lease_seconds())
    requeued = 0
    with transaction.atomic():
        alive = set(WorkerHeartbeat.objects.filter(last_seen__gte=cutoff)
                    .values_list("worker_id", flat=True))
        running = (DBTaskResult.objects.running().filter(started_at__lt=cutoff)
                   .select_for_update(skip_locked=True))
        for job in running:
            if job.worker_ids and job.worker_ids[-1] in alive:
                continue  # a long job on a live worker
            if len(job.worker_ids) >= MAX_CLAIMS:
                job.set_failed(LostWorker(f"{len(job.worker_ids)} workers died running it"))
                logger.error("job %s failed: its worker died %d times", job.pk,
                             len(job.worker_ids))
                continue
            DBTaskResult.objects.filter(pk=job.pk, status="RUNNING").update(
                status="READY", started_at=None)
            requeued += 1
            logger.warning("job %s (%s) re-queued: worker %s is gone", job.pk, job.task_path,
                           job.worker_ids[-1] if job.worker_ids else "?")
        WorkerHeartbeat.objects.filter(last_seen__lt=now - datetime.timedelta(
            seconds=lease_seconds() * 10)).delete()
    return requeued


def prune_finished(*, now: datetime.datetime | None = None) -> int:
    """Delete successful job results older than ``VORONKA_JOB_RETENTION_DAYS`` (failed ones
    are kept for inspection)."""
    days = int(getattr(settings, "VORONKA_JOB_RETENTION_DAYS", 7))
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    deleted, _rows = DBTaskResult.objects.successful().filter(finished_at__lt=cutoff).delete()
    return deleted


class Maintenance(threading.Thread):
    """Beside the worker loop: heartbeat, re-queue stale jobs, prune old results."""

    def __init__(self, worker_id: str) -> None:
        super().__init__(name="voronka-worker-maintenance", daemon=True)
        self.worker_id = worker_id
        self.stopping = threading.Event()

    def run(self) -> None:
        lease = lease_seconds()
        beat_every = max(0.5, lease / 4)
        reap_every = max(1.0, lease / 2)
        next_reap = next_prune = time.monotonic()
        try:
            while not self.stopping.is_set():
                try:
                    close_old_connections()
                    heartbeat(self.worker_id)
                    now = time.monotonic()
                    if now >= next_reap:
                        requeue_stale()
                        next_reap = now + reap_every
                    if now >= next_prune:
                        prune_finished()
                        next_prune = now + 3600
                except Exception:  # noqa: BLE001 - a database hiccup must not end the thread
                    logger.exception("worker maintenance failed; retrying")
                self.stopping.wait(beat_every)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopping.set()
