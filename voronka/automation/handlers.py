"""The automation's event subscriber: runs inside the publishing service's transaction and
only queues jobs (one per event, plus time checks), so the web request stays fast and the
jobs exist exactly when the change commits."""

from __future__ import annotations

import datetime

from django.utils import timezone

from voronka.core import events
from voronka.core.events import Event

from . import triggers
from .models import Rule, Trigger
from .tasks import check_task_overdue, check_time_in_stage, run_rules


def listens(connection, pipeline_id: int) -> tuple[str, list]:
    """The probe of ``on_event`` (core.events): NULL when the pipeline has no active rule,
    else a signature of its active rules (how many, the newest id, the latest edit), which
    changes whenever one is added, edited, switched off or deleted."""
    q = connection.ops.quote_name
    meta = Rule._meta
    pk, updated = q(meta.pk.column), q(meta.get_field("updated_at").column)
    return (f"(SELECT CASE WHEN COUNT(*) = 0 THEN NULL ELSE CAST(COUNT(*) AS TEXT) || ':'"
            f" || CAST(MAX({pk}) AS TEXT) || ':' || CAST(MAX({updated}) AS TEXT) END"
            f" FROM {q(meta.db_table)} WHERE {q(meta.get_field('pipeline').column)} = %s"
            f" AND {q(meta.get_field('is_active').column)} = %s)", [pipeline_id, True])


# pipeline id -> (the probe's signature, the active rules it stood for), per process. A
# signature is read in the publishing transaction, so equal signatures mean the same rules.
_seen: dict[int, tuple[str, list[Rule]]] = {}


def _active_rules(pipeline_id: int, signature: str | None) -> list[Rule]:
    if signature is not None:
        known = _seen.get(pipeline_id)
        if known is not None and known[0] == signature:
            return known[1]
    rules = list(Rule.objects.filter(pipeline_id=pipeline_id, is_active=True)
                 .only("id", "trigger", "stage_id", "hours", "field"))
    if signature is not None:
        _seen[pipeline_id] = (signature, rules)
    return rules


def on_event(event: Event) -> None:
    """The pipeline's active rules (one query, none when the probe's signature is the one
    seen last); at most one job, and only when a rule listens. The job runs the matching
    rules and queues the time checks (a stage entered starts its "too long in the stage"
    clocks, a new task its "overdue" check)."""
    if event.deal_id is None or event.pipeline_id is None:
        return
    rules = _active_rules(event.pipeline_id, event.hints.get(on_event))
    if not rules:
        return
    fired = triggers.fired(event)
    matched = [r.pk for r in rules if triggers.matches(r, event, fired)]
    stage_id = triggers.entered_stage(event)
    timed = [r.pk for r in rules if stage_id is not None and r.trigger == Trigger.TIME_IN_STAGE
             and r.stage_id in (None, stage_id) and event.data.get("stage_entered_at")]
    overdue = event.name == events.TASK_CREATED and bool(event.data.get("due_at")) and any(
        r.trigger == Trigger.TASK_OVERDUE for r in rules)
    if matched or timed or overdue:
        run_rules.enqueue(event.as_dict(), matched, timed, overdue)


def schedule_event_checks(event: Event, time_rule_ids: list[int], overdue: bool) -> int:
    """In the worker: queue the time checks an event starts. Returns how many."""
    queued = 0
    stage_id = triggers.entered_stage(event)
    if stage_id is not None and time_rule_ids:
        entered = datetime.datetime.fromisoformat(event.data["stage_entered_at"])
        for rule in Rule.objects.filter(pk__in=time_rule_ids, is_active=True,
                                        trigger=Trigger.TIME_IN_STAGE):
            queued += _queue_time_check(rule, event.deal_id, stage_id, entered, _limit_of)
    if overdue:
        due = datetime.datetime.fromisoformat(event.data["due_at"])
        check_task_overdue.using(run_after=max(due, timezone.now())).enqueue(
            event.data["task_id"], event.data["due_at"])
        queued += 1
    return queued


def _limit_of(stage_id: int) -> int | None:
    from voronka.pipelines.models import Stage

    return Stage.objects.filter(pk=stage_id).values_list("time_limit_hours", flat=True).first()


def _queue_time_check(rule: Rule, deal_id: int, stage_id: int, entered: datetime.datetime,
                      limit_of) -> bool:
    hours = rule.hours or limit_of(stage_id)
    if not hours:
        return False
    due = entered + datetime.timedelta(hours=hours)
    check_time_in_stage.using(run_after=max(due, timezone.now())).enqueue(
        rule.pk, deal_id, stage_id, entered.isoformat())
    return True


def schedule_time_checks(rule: Rule) -> int:
    """Backfill for a new or changed rule: deals already in the stage whose time is not up.
    (Deals already over it are not fired at all at once: a new rule must not flood.)"""
    from voronka.deals.models import Deal
    from voronka.pipelines.models import Stage

    limits = dict(Stage.objects.filter(pipeline_id=rule.pipeline_id)
                  .values_list("pk", "time_limit_hours"))
    deals = Deal.objects.filter(pipeline_id=rule.pipeline_id, status=Deal.Status.OPEN)
    if rule.stage_id:
        deals = deals.filter(stage_id=rule.stage_id)
    now, queued = timezone.now(), 0
    for deal_id, stage_id, entered in deals.values_list("pk", "stage_id", "stage_entered_at"
                                                        ).iterator():
        hours = rule.hours or limits.get(stage_id)
        if hours and entered + datetime.timedelta(hours=hours) > now:
            queued += _queue_time_check(rule, deal_id, stage_id, entered, limits.get)
    return queued


def schedule_overdue_check(rule: Rule) -> int:
    """Backfill for a new "task overdue" rule: open tasks on the pipeline's open deals that
    are not due yet."""
    from voronka.activities.models import Task

    tasks = Task.objects.filter(deal__pipeline_id=rule.pipeline_id, deal__status="open",
                                is_done=False, due_at__gt=timezone.now())
    queued = 0
    for task_id, due in tasks.values_list("pk", "due_at").iterator():
        check_task_overdue.using(run_after=due).enqueue(task_id, due.isoformat())
        queued += 1
    return queued
