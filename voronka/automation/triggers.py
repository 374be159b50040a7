"""Which rule triggers an event fires, and whether a rule listens to it."""

from __future__ import annotations

from voronka.core import events
from voronka.core.events import Event

from .models import Rule, Trigger

# Rule triggers that have a stage (empty = any stage).
STAGE_TRIGGERS = (Trigger.STAGE_ENTERED, Trigger.STAGE_LEFT, Trigger.TIME_IN_STAGE)
# Triggers that are not events but the passing of time; jobs scheduled with run_after.
TIME_TRIGGERS = (Trigger.TIME_IN_STAGE, Trigger.TASK_OVERDUE)

_SIMPLE = {
    events.DEAL_CREATED: Trigger.DEAL_CREATED,
    events.DEAL_WON: Trigger.DEAL_WON,
    events.DEAL_LOST: Trigger.DEAL_LOST,
    events.PAYMENT_RECORDED: Trigger.PAYMENT_RECORDED,
    events.LEAD_CAPTURED: Trigger.LEAD_CAPTURED,
    events.CALL_MISSED: Trigger.CALL_MISSED,
    events.DEAL_FIELD_CHANGED: Trigger.FIELD_CHANGED,
}


def fired(event: Event) -> set[str]:
    """The (non-time) triggers ``event`` fires."""
    out = set()
    if event.name in _SIMPLE:
        out.add(_SIMPLE[event.name])
    # An administrator's correction puts a mistaken move right; it is not the deal's
    # progress, so stage rules do not run again for it (its time in the stage restarts).
    if event.data.get("kind") in ("correction", "reopen"):
        return out
    if entered_stage(event) is not None:
        out.add(Trigger.STAGE_ENTERED)
    if event.name == events.DEAL_STAGE_CHANGED:
        out.add(Trigger.STAGE_LEFT)
    return out


def entered_stage(event: Event) -> int | None:
    """The stage a deal has just (re-)entered, so its time-in-stage clock starts."""
    if event.name == events.DEAL_CREATED:
        return event.data.get("stage_id")
    if event.name in (events.DEAL_STAGE_CHANGED, events.DEAL_REOPENED):
        return event.data.get("to_stage_id")
    return None


def matches(rule: Rule, event: Event, triggers: set[str]) -> bool:
    """Whether ``rule`` runs for ``event`` (before its conditions are looked at)."""
    if rule.trigger not in triggers:
        return False
    if rule.trigger == Trigger.STAGE_ENTERED:
        return rule.stage_id is None or rule.stage_id == entered_stage(event)
    if rule.trigger == Trigger.STAGE_LEFT:
        return rule.stage_id is None or rule.stage_id == event.data.get("from_stage_id")
    if rule.trigger == Trigger.FIELD_CHANGED:
        changed = {c.get("field") for c in event.data.get("changes", [])}
        return (not rule.field and bool(changed)) or rule.field in changed
    return True
