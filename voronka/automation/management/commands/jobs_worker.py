"""``voronka worker``: django-tasks-db's worker plus the lease (heartbeat and re-queueing of
jobs left RUNNING by a dead worker) and pruning of old results (see ``automation.jobs``), and
the periodic stage time limit reminder (``automation.limits``)."""

from __future__ import annotations

from django.db import connections
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from voronka.automation import jobs
from voronka.automation.tasks import schedule_stage_limit_check


class Command(DbWorkerCommand):
    help = "Run a job worker with a lease: jobs of dead workers are re-queued"

    def handle(self, *args, **options) -> None:
        worker_id = options["worker_id"]
        options["reload"] = False  # a reloading parent process would hold no heartbeat
        for conn in connections.all():
            # A worker is one long-lived process: keep its connection between jobs (checked
            # for health before reuse) instead of reconnecting for each job.
            conn.settings_dict["CONN_MAX_AGE"] = None
            conn.settings_dict["CONN_HEALTH_CHECKS"] = True
        jobs.heartbeat(worker_id, started=True)
        jobs.requeue_stale()
        # The stage time limit reminders re-queue themselves; a starting worker makes sure
        # the chain exists (and checks at once: the deals went on ageing while none ran).
        schedule_stage_limit_check(at=timezone.now())
        maintenance = jobs.Maintenance(worker_id)
        maintenance.start()
        try:
            super().handle(*args, **options)
        finally:
            maintenance.stop()
            maintenance.join(timeout=5)
            jobs.forget(worker_id)
