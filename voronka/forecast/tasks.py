"""Jobs: the daily plan-at-risk check and the nightly retraining of the win models.

The Tasks API has no calendar, so each job queues its own next run when it finishes
(``schedule``): the risk check every morning at ``RISK_HOUR``, training every night at
``TRAIN_HOUR`` (local time). ``schedule`` queues a job only when none is waiting, so calling it
again (``voronka train --schedule``, a job re-run by a worker) never doubles the chain.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django_tasks import task

RISK_HOUR = 9
TRAIN_HOUR = 3


def _next_at(hour: int, now: datetime.datetime | None = None) -> datetime.datetime:
    now = timezone.localtime(now or timezone.now())
    at = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    return at if at > now else at + datetime.timedelta(days=1)


def schedule(job, hour: int) -> bool:
    """Queue ``job`` for the next ``hour`` o'clock unless a run is already waiting."""
    from django_tasks_db.models import DBTaskResult

    # READY whatever its run_after (the queryset's ready() hides the ones due later).
    if DBTaskResult.objects.filter(task_path=job.module_path, status="READY").exists():
        return False
    job.using(run_after=_next_at(hour)).enqueue()
    return True


@task()
def check_plans_at_risk() -> int:
    from .risk import check_plans

    try:
        return len(check_plans())
    finally:
        schedule(check_plans_at_risk, RISK_HOUR)


@task()
def retrain_win_models() -> dict:
    from voronka.pipelines.models import Pipeline

    from .learned import train

    try:
        out = {}
        for pipeline in Pipeline.objects.filter(is_active=True):
            result = train(pipeline)
            out[str(pipeline.pk)] = result.reason
        return out
    finally:
        schedule(retrain_win_models, TRAIN_HOUR)


def schedule_all() -> list[str]:
    done = []
    if schedule(check_plans_at_risk, RISK_HOUR):
        done.append("check_plans_at_risk")
    if schedule(retrain_win_models, TRAIN_HOUR):
        done.append("retrain_win_models")
    return done
