"""Jobs of the automation. Each re-checks the world when it runs: the deal may have moved,
the task may be done, the rule may be switched off since the job was queued."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django_tasks import task

from voronka.core.events import Cause, Event

from .models import Rule, Trigger

# Clock slack when comparing a stored time with the one a job was queued with.
SLACK = datetime.timedelta(seconds=1)


@task()
def run_rules(event: dict, rule_ids: list[int], time_rule_ids: list[int] | None = None,
              overdue: bool = False) -> dict:
    """Run the rules an event matched (in their order) on the event's deal, then queue the
    time checks it started."""
    from voronka.deals.models import Deal

    from . import conditions, triggers
    from .engine import run_rule
    from .handlers import schedule_event_checks

    ev = Event.from_dict(event)
    if not Deal.objects.filter(pk=ev.deal_id).exists():
        return {"skipped": "deal gone"}
    fired = triggers.fired(ev)
    kinds = conditions.kinds_for(ev.pipeline_id)
    out: dict = {}
    for rule in Rule.objects.filter(pk__in=rule_ids, is_active=True).order_by("position", "id"):
        if not triggers.matches(rule, ev, fired):
            continue  # changed since the event
        run = run_rule(rule, ev.deal_id, event_key=ev.id, trigger=rule.trigger, cause=ev.cause,
                       kinds=kinds)
        out[str(rule.pk)] = run.status
    # Queued after the rules ran: a re-run of this job queues them again, and the checks are
    # idempotent (a time trigger runs once per rule, deal and stage entry).
    out["checks"] = schedule_event_checks(ev, time_rule_ids or [], overdue)
    return out


def _hours(rule: Rule, stage_id: int) -> int | None:
    from voronka.pipelines.models import Stage

    if rule.hours:
        return rule.hours
    return Stage.objects.filter(pk=stage_id).values_list("time_limit_hours", flat=True).first()


@task()
def check_time_in_stage(rule_id: int, deal_id: int, stage_id: int, entered_at: str) -> str:
    """Fire a "too long in the stage" rule if the deal is still there since ``entered_at``."""
    from voronka.deals.models import Deal

    from .engine import run_rule

    rule = Rule.objects.filter(pk=rule_id, is_active=True, trigger=Trigger.TIME_IN_STAGE).first()
    deal = Deal.objects.filter(pk=deal_id).first()
    if rule is None or deal is None or (rule.stage_id not in (None, stage_id)):
        return "rule or deal gone"
    entered = datetime.datetime.fromisoformat(entered_at)
    if (deal.status != Deal.Status.OPEN or deal.stage_id != stage_id
            or abs(deal.stage_entered_at - entered) > SLACK):
        return "deal moved on"
    hours = _hours(rule, stage_id)
    if not hours:
        return "no time limit"
    due = entered + datetime.timedelta(hours=hours)
    if timezone.now() + SLACK < due:
        # The rule's hours grew since this check was queued: look again when they are up.
        check_time_in_stage.using(run_after=due).enqueue(rule_id, deal_id, stage_id, entered_at)
        return "not yet"
    key = f"time:{deal_id}:{stage_id}:{int(entered.timestamp())}"
    return run_rule(rule, deal_id, event_key=key, trigger=rule.trigger, cause=Cause()).status


@task()
def check_task_overdue(task_id: int, due_at: str) -> dict:
    """Fire the pipeline's "task overdue" rules if the task is still not done when due."""
    from voronka.activities.models import Task

    from .engine import run_rule

    item = Task.objects.select_related("deal").filter(pk=task_id).first()
    if item is None or item.is_done or item.deal is None:
        return {"skipped": "done or gone"}
    if timezone.now() + SLACK < item.due_at:
        # Rescheduled to later: look again then.
        check_task_overdue.using(run_after=item.due_at).enqueue(task_id, item.due_at.isoformat())
        return {"skipped": "not yet"}
    key = f"overdue:{task_id}:{int(item.due_at.timestamp())}"
    out = {}
    for rule in Rule.objects.filter(pipeline_id=item.deal.pipeline_id, is_active=True,
                                    trigger=Trigger.TASK_OVERDUE).order_by("position", "id"):
        out[str(rule.pk)] = run_rule(rule, item.deal_id, event_key=key,
                                     trigger=rule.trigger).status
    return out


@task()
def schedule_rule(rule_id: int) -> int:
    """Queue the time checks of a rule just created or changed for what is already there:
    open deals still short of the time in their stage, open tasks not yet due."""
    from .handlers import schedule_overdue_check, schedule_time_checks

    rule = Rule.objects.filter(pk=rule_id, is_active=True).first()
    if rule is None:
        return 0
    return schedule_time_checks(rule) if rule.trigger == Trigger.TIME_IN_STAGE \
        else schedule_overdue_check(rule) if rule.trigger == Trigger.TASK_OVERDUE else 0


def schedule_stage_limit_check(*, at: datetime.datetime | None = None) -> bool:
    """Queue the next stage time limit check (``limits``) unless one is already waiting: a
    worker starting, or the job itself when it ends, keep exactly one chain going."""
    from django_tasks_db.models import DBTaskResult

    from .limits import interval

    # READY whatever its run_after (the queryset's ready() hides the ones due later).
    if DBTaskResult.objects.filter(task_path=remind_over_limit.module_path,
                                   status="READY").exists():
        return False
    remind_over_limit.using(run_after=at or timezone.now() + interval()).enqueue()
    return True


@task()
def remind_over_limit() -> int:
    """Remind the owners of deals over their stage's time limit (each stay once), then queue
    the next check."""
    from .limits import remind_over_limit as remind

    try:
        return remind()
    finally:
        schedule_stage_limit_check()
