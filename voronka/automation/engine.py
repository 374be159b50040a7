"""Running a rule for an event, in the worker: conditions, actions, the run log.

Exactly-once per side effect: each action has a key ``rule:<rule>:<event>:<n>`` and is
executed in one transaction together with the insert of that key into ``SideEffect``. A
job re-run after a worker crash finds the keys of the actions already done and goes on
with the rest. E-mails and webhook calls are queued rows with the same key, sent by their
own idempotent jobs.

Loop protection: events published by a rule's actions carry the chain of rules behind them.
A rule does not run again inside its own cascade, a cascade stops at ``MAX_DEPTH`` rules,
and one rule runs at most ``MAX_RUNS_PER_HOUR`` times an hour for one deal (loops through
the outside world — a webhook that writes back through the API — have no chain to follow).
Each refusal is a logged run with the status "loop".
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import Role, User
from voronka.core import events
from voronka.core.errors import Conflict, GateRefused, ServiceError
from voronka.deals.models import Deal
from voronka.pipelines.models import Stage

from . import actions, conditions, outcomes
from .actions import Outcome
from .models import Rule, RuleRun, SideEffect
from .outcomes import detail

logger = logging.getLogger(__name__)

MAX_DEPTH = 8
MAX_RUNS_PER_HOUR = 20
CONFLICT_RETRIES = 3


def _load_deal(deal_id: int) -> Deal:
    return Deal.objects.select_related("pipeline", "stage", "owner", "company").get(pk=deal_id)


def _finish(run: RuleRun, status: str, log: list[dict], error: str = "",
            reason: dict | None = None) -> RuleRun:
    run.status, run.actions, run.error, run.finished_at = status, log, error, timezone.now()
    run.reason = reason or {}
    run.save(update_fields=["status", "actions", "error", "reason", "finished_at"])
    return run


def _verdict(rule: Rule, deal_id: int, cause: events.Cause,
             kinds: dict[str, str] | None) -> tuple[str, str, dict] | None:
    """Why the rule must not act now ((status, error, reason as data)), or None when it
    should."""
    if rule.pk in cause.rule_ids:
        return RuleRun.Status.LOOP, "", detail(outcomes.LOOP_SELF)
    if cause.depth >= MAX_DEPTH:
        return RuleRun.Status.LOOP, "", detail(outcomes.LOOP_DEPTH, n=MAX_DEPTH)
    hour_ago = timezone.now() - datetime.timedelta(hours=1)
    if RuleRun.objects.filter(rule=rule, deal_id=deal_id, started_at__gte=hour_ago).exclude(
            status__in=(RuleRun.Status.SKIPPED, RuleRun.Status.LOOP)).count() >= MAX_RUNS_PER_HOUR:
        return RuleRun.Status.LOOP, "", detail(outcomes.LOOP_RATE, n=MAX_RUNS_PER_HOUR)
    if not conditions.holds(_load_deal(deal_id), rule.conditions, rule.match,
                            kinds if kinds is not None else
                            conditions.kinds_for(rule.pipeline_id)):
        return RuleRun.Status.SKIPPED, "", {}
    return None


def run_rule(rule: Rule, deal_id: int, *, event_key: str, trigger: str,
             cause: events.Cause = events.NO_CAUSE,
             kinds: dict[str, str] | None = None) -> RuleRun:
    """Run ``rule`` for one event on one deal, at most once per ``event_key``. ``kinds`` (the
    pipeline's field kinds) may be passed by a caller running several rules."""
    key = event_key[:120]
    run = RuleRun.objects.filter(rule=rule, event_key=key).first()
    if run is not None and run.status != RuleRun.Status.RUNNING:
        return run  # finished before: a duplicate job or a re-queued one
    try:
        verdict = _verdict(rule, deal_id, cause, kinds)
    except Exception as exc:  # noqa: BLE001 - a broken rule is logged on its run, not lost
        logger.exception("rule %s failed on deal %s", rule.pk, deal_id)
        verdict = RuleRun.Status.FAILED, f"{type(exc).__name__}: {exc}"[:2000], {}
    if run is None:
        # A rule that does not act is logged with one insert, already finished.
        status, error, reason = verdict if verdict else (RuleRun.Status.RUNNING, "", {})
        try:
            with transaction.atomic():
                run = RuleRun.objects.create(
                    rule=rule, rule_name=rule.name, event_key=key, deal_id=deal_id,
                    trigger=trigger, cause=list(cause.rule_ids), status=status, error=error,
                    reason=reason, finished_at=timezone.now() if verdict else None)
        except IntegrityError:
            return RuleRun.objects.get(rule=rule, event_key=key)  # a concurrent duplicate
    elif verdict:
        return _finish(run, verdict[0], list(run.actions or []), verdict[1], verdict[2])
    if verdict:
        return run
    log = list(run.actions or [])
    try:
        with events.caused_by(rule.pk, parent=cause):
            for index, action in enumerate(rule.actions):
                last = index == len(rule.actions) - 1
                outcome = _execute(rule, run, deal_id, index, action, key, log[:index], last)
                log = log[:index] + [outcome.as_dict()]
                if outcome.outcome in ("refused", "failed"):
                    return _finish(run, RuleRun.Status.REFUSED if outcome.outcome == "refused"
                                   else RuleRun.Status.FAILED, log)
                if outcome.outcome == "done" and last:
                    run.status, run.actions = RuleRun.Status.SUCCESS, log
                    return run  # finished in the action's own transaction
    except Exception as exc:  # noqa: BLE001 - a broken rule is logged on its run, not lost
        logger.exception("rule %s failed on deal %s", rule.pk, deal_id)
        return _finish(run, RuleRun.Status.FAILED, log, f"{type(exc).__name__}: {exc}"[:2000])
    return _finish(run, RuleRun.Status.SUCCESS, log)


def _execute(rule: Rule, run: RuleRun, deal_id: int, index: int, action: dict[str, Any],
             event_key: str, log: list[dict], last: bool) -> Outcome:
    """One action, exactly once: its key, its effect and the run's log commit together (and,
    for the last action, the run's success)."""
    key = f"rule:{rule.pk}:{event_key}:{index}"[:200]
    kind = action.get("type", "")
    if SideEffect.objects.filter(key=key).exists():
        return Outcome(kind, "already", detail(outcomes.ALREADY))
    executor = EXECUTORS.get(kind)
    if executor is None:
        return Outcome(kind, "failed", detail(outcomes.UNKNOWN_ACTION))
    for attempt in range(CONFLICT_RETRIES):
        try:
            with transaction.atomic():
                # The key first: a concurrent duplicate blocks on it and then fails, so the
                # effect below happens once.
                effect = SideEffect.objects.create(key=key, kind=kind)
                deal = _load_deal(deal_id)
                outcome = executor(rule, deal, action, key)
                effect.object_id = outcome.object_id
                effect.save(update_fields=["object_id"])
                done = {"actions": [*log, outcome.as_dict()]}
                if last:
                    done.update(status=RuleRun.Status.SUCCESS, finished_at=timezone.now())
                RuleRun.objects.filter(pk=run.pk).update(**done)
                return outcome
        except IntegrityError:
            if SideEffect.objects.filter(key=key).exists():
                return Outcome(kind, "already", detail(outcomes.ALREADY))
            raise
        except GateRefused as exc:
            # The missing facts keep their text in every UI language: shown in the reader's.
            return Outcome(kind, "refused", detail(
                outcomes.GATE_REFUSED, win=bool(exc.extra.get("win")),
                missing=[dict(m.message) for m in exc.missing]))
        except Conflict:
            if attempt + 1 == CONFLICT_RETRIES:
                return Outcome(kind, "failed", detail(outcomes.KEPT_CHANGING))
        except ServiceError as exc:
            return Outcome(kind, "failed", detail(outcomes.ERROR, text=exc.message))
    return Outcome(kind, "failed", "")


def deal_url(deal_id: int) -> str:
    """The deal's page in the web UI (empty while the UI does not provide one)."""
    from django.urls import NoReverseMatch, reverse

    for name in ("web:deal_detail", "web:deal"):
        try:
            return reverse(name, args=[deal_id])
        except NoReverseMatch:
            continue
    return ""


# --- executors: (rule, fresh deal, action, idempotency key) -> Outcome ----------------------

def _render(text: str, deal: Deal) -> str:
    from voronka.integrations.rendering import deal_context, render

    return render(text, deal_context(deal))


def _create_task(rule: Rule, deal: Deal, action: dict, key: str) -> Outcome:
    from voronka.activities.services import task_create

    if action.get("assignee") == "user":
        assignee = User.objects.filter(pk=action.get("user_id"), is_active=True).first()
    elif action.get("assignee") == "round_robin":
        assignee = actions.round_robin_user(rule, deal.pipeline)
    else:
        assignee = deal.owner
    if assignee is None:
        return Outcome(actions.CREATE_TASK, "failed", detail(outcomes.NO_ASSIGNEE))
    task = task_create(actor=None, deal=deal, assignee=assignee, kind=action["kind"],
                       text=_render(action["text"], deal), due_at=actions.due_at(action))
    return Outcome(actions.CREATE_TASK, "done", detail(
        outcomes.TASK_CREATED, assignee=str(assignee), assignee_id=assignee.pk,
        due=task.due_at.isoformat()), task.pk)


def _send_email(rule: Rule, deal: Deal, action: dict, key: str) -> Outcome:
    from voronka.integrations.emails import email_queue_from_template
    from voronka.integrations.models import EmailTemplate
    from voronka.integrations.rendering import first_email, primary_contact

    template = EmailTemplate.objects.filter(pk=action.get("template_id"), is_active=True).first()
    if template is None:
        return Outcome(actions.SEND_EMAIL, "failed", detail(outcomes.TEMPLATE_GONE))
    to = {"owner": lambda: deal.owner.email, "address": lambda: action.get("address", ""),
          "contact": lambda: first_email(primary_contact(deal))}[action.get("to", "contact")]()
    if not to:
        return Outcome(actions.SEND_EMAIL, "failed", detail(outcomes.NO_CONTACT_EMAIL))
    email = email_queue_from_template(template=template, deal=deal, to=to, idempotency_key=key)
    return Outcome(actions.SEND_EMAIL, "done", detail(
        outcomes.EMAIL_QUEUED, subject=email.subject, to=email.to), email.pk)


def _notify(rule: Rule, deal: Deal, action: dict, key: str) -> Outcome:
    from voronka.notifications.services import notification_create

    who = action.get("to", "owner")
    if who == "user":
        users = list(User.objects.filter(pk=action.get("user_id"), is_active=True))
    elif who == "heads":
        users = list(User.objects.filter(team_id=deal.pipeline.team_id, role=Role.HEAD,
                                         is_active=True))
    else:
        users = [deal.owner]
    if not users:
        return Outcome(actions.NOTIFY, "failed", detail(outcomes.NOBODY_TO_NOTIFY))
    text = _render(action["text"], deal)
    for user in users:
        notification_create(user=user, text=text, deal=deal, url=deal_url(deal.pk),
                            idempotency_key=f"{key}:{user.pk}")
    return Outcome(actions.NOTIFY, "done", detail(outcomes.NOTIFIED,
                                                  users=[str(u) for u in users]))


def _set_field(rule: Rule, deal: Deal, action: dict, key: str) -> Outcome:
    from voronka.deals.services import deal_update

    field, value = action["field"], action.get("value")
    if field.startswith("custom_fields."):
        changes: dict[str, Any] = {"custom_fields": {field.split(".", 1)[1]: value}}
    elif field == "owner":
        changes = {"owner": User.objects.get(pk=value)}
    elif field == "expected_close_date":
        changes = {field: datetime.date.fromisoformat(value) if value else None}
    else:
        changes = {field: value}
    deal_update(deal=deal, actor=None, **changes)
    return Outcome(actions.SET_FIELD, "done", detail(outcomes.FIELD_SET, field=field,
                                                     value=value))


def _move_next(rule: Rule, deal: Deal, action: dict, key: str) -> Outcome:
    from voronka.deals.services import deal_move, deal_win

    stages = list(Stage.objects.filter(pipeline_id=deal.pipeline_id).order_by("position", "id"))
    here = next(i for i, s in enumerate(stages) if s.pk == deal.stage_id)
    if here + 1 < len(stages):
        deal_move(deal=deal, to_stage=stages[here + 1], actor=None,
                  comment=_("Automation: %(rule)s") % {"rule": rule.name})
        return Outcome(actions.MOVE_NEXT, "done", detail(
            outcomes.MOVED, **{"from": stages[here].name, "to": stages[here + 1].name}))
    # On the last stage the next step is the win, which needs the last stage's facts.
    try:
        deal_win(deal=deal, actor=None, comment=_("Automation: %(rule)s") % {"rule": rule.name})
    except GateRefused as exc:
        exc.extra["win"] = True  # the log says the win was refused, not a move
        raise
    return Outcome(actions.MOVE_NEXT, "done", detail(outcomes.WON))


def _webhook(rule: Rule, deal: Deal, action: dict, key: str) -> Outcome:
    from voronka.integrations.payloads import deal_snapshot
    from voronka.integrations.selectors import webhooks_for
    from voronka.integrations.subscriptions import webhook_call

    # Checked again when it fires: the subscription may have been switched off or given to
    # another team since the rule was saved.
    sub = webhooks_for(team_id=deal.pipeline.team_id).filter(
        pk=action.get("subscription_id")).first()
    if sub is None:
        return Outcome(actions.WEBHOOK, "failed", detail(outcomes.WEBHOOK_GONE))
    delivery = webhook_call(subscription=sub, idempotency_key=key, payload={
        "rule": {"id": rule.pk, "name": rule.name}, "deal": deal_snapshot(deal)})
    return Outcome(actions.WEBHOOK, "done", detail(outcomes.WEBHOOK_QUEUED, url=sub.url),
                   delivery.pk)


EXECUTORS: dict[str, Callable[[Rule, Deal, dict, str], Outcome]] = {
    actions.CREATE_TASK: _create_task,
    actions.SEND_EMAIL: _send_email,
    actions.NOTIFY: _notify,
    actions.SET_FIELD: _set_field,
    actions.MOVE_NEXT: _move_next,
    actions.WEBHOOK: _webhook,
}
