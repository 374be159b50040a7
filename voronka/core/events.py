"""Domain events: services publish them inside their transaction; subscribers react there too.

A subscriber (automation, outgoing webhooks) only writes rows that belong to the same
transaction — a job row, a delivery row — so an event is acted upon exactly when the change
that caused it commits, and never when it rolls back. The slow work (rule evaluation, HTTP,
SMTP) runs later in the job worker.

A subscriber may register a *probe*: an SQL condition "someone listens in this pipeline"
(an active rule, an active webhook subscription). A service that reads the pipeline anyway
(the move's layout statement) evaluates the probes in that statement and publishes with the
subscribers that answered "no" marked ``silent``, so a move in a pipeline nobody listens to
pays no subscriber query (bench/moves.py); a probe's "yes" may carry a value the subscriber
can use (the automation's: a signature of the pipeline's active rules, to reuse the rules it
read last time). A probe is read in the publishing transaction,
just like the subscriber's own query would be.

Events published while the automation executes a rule's actions carry the chain of rules
that led to them (``cause``), so the automation can refuse to run a rule inside its own
cascade (loop protection).
"""

from __future__ import annotations

import contextlib
import datetime
import uuid
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

DEAL_CREATED = "deal.created"
DEAL_STAGE_CHANGED = "deal.stage_changed"
DEAL_WON = "deal.won"
DEAL_LOST = "deal.lost"
DEAL_REOPENED = "deal.reopened"
DEAL_FIELD_CHANGED = "deal.field_changed"
TASK_CREATED = "task.created"
PAYMENT_RECORDED = "payment.recorded"
LEAD_CAPTURED = "lead.captured"
CALL_MISSED = "call.missed"

ALL = (DEAL_CREATED, DEAL_STAGE_CHANGED, DEAL_WON, DEAL_LOST, DEAL_REOPENED, DEAL_FIELD_CHANGED,
       TASK_CREATED, PAYMENT_RECORDED, LEAD_CAPTURED, CALL_MISSED)

# The event a transition of each kind publishes ("created" has its own, richer event and
# "imported" history is not news).
TRANSITION_EVENTS = {
    "advance": DEAL_STAGE_CHANGED,
    "skip": DEAL_STAGE_CHANGED,
    "correction": DEAL_STAGE_CHANGED,
    "won": DEAL_WON,
    "lost": DEAL_LOST,
    "reopen": DEAL_REOPENED,
}


@dataclass(frozen=True)
class Cause:
    """The rules whose actions (transitively) produced the current change, oldest first."""

    rule_ids: tuple[int, ...] = ()

    @property
    def depth(self) -> int:
        return len(self.rule_ids)


@dataclass(frozen=True)
class Event:
    name: str
    id: str
    at: datetime.datetime
    deal_id: int | None
    pipeline_id: int | None
    actor_id: int | None
    data: dict[str, Any] = field(default_factory=dict)
    cause: Cause = field(default_factory=Cause)
    # What each probed subscriber's probe answered in the publishing transaction (a truthy
    # value: someone listens). In-process only: not part of the stored event.
    hints: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-safe form, as stored in a job's arguments."""
        return {"name": self.name, "id": self.id, "at": self.at.isoformat(),
                "deal_id": self.deal_id, "pipeline_id": self.pipeline_id,
                "actor_id": self.actor_id, "data": self.data,
                "cause": list(self.cause.rule_ids)}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Event:
        return cls(name=raw["name"], id=raw["id"], at=datetime.datetime.fromisoformat(raw["at"]),
                   deal_id=raw.get("deal_id"), pipeline_id=raw.get("pipeline_id"),
                   actor_id=raw.get("actor_id"), data=dict(raw.get("data") or {}),
                   cause=Cause(tuple(raw.get("cause") or ())))


Subscriber = Callable[[Event], None]
# (connection, pipeline id) -> (an SQL boolean expression with %s placeholders, its params)
Probe = Callable[[Any, int], tuple[str, list[Any]]]
_subscribers: list[Subscriber] = []
_probes: dict[Subscriber, Probe] = {}
NO_CAUSE = Cause()
_cause: ContextVar[Cause | None] = ContextVar("voronka_event_cause", default=None)


def subscribe(handler: Subscriber, *, probe: Probe | None = None) -> None:
    """Register ``handler`` for every event (apps call this from ``AppConfig.ready``).
    ``probe``: the SQL condition under which ``handler`` can act on a pipeline's events; it
    must be true whenever the handler would do anything for that pipeline."""
    if handler not in _subscribers:
        _subscribers.append(handler)
    if probe is not None:
        _probes[handler] = probe


def unsubscribe(handler: Subscriber) -> None:
    if handler in _subscribers:
        _subscribers.remove(handler)
    _probes.pop(handler, None)


def probes(connection: Any, pipeline_id: int) -> list[tuple[Subscriber, str, list[Any]]]:
    """Every registered subscriber's probe for ``pipeline_id``: (handler, SQL, params)."""
    return [(handler, *probe(connection, pipeline_id))
            for handler, probe in _probes.items() if handler in _subscribers]


def current_cause() -> Cause:
    return _cause.get() or NO_CAUSE


@contextlib.contextmanager
def caused_by(rule_id: int, parent: Cause | None = None) -> Iterator[Cause]:
    """Mark every event published inside the block as produced by rule ``rule_id``."""
    base = parent if parent is not None else current_cause()
    cause = Cause((*base.rule_ids, rule_id))
    token = _cause.set(cause)
    try:
        yield cause
    finally:
        _cause.reset(token)


def _json(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json(v) for v in value]
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # Decimal, lazy strings: exact text, never a float


def publish(name: str, *, deal: Any = None, actor: Any = None,
            silent: frozenset[Subscriber] = frozenset(),
            hints: dict[Subscriber, Any] | None = None, **data: Any) -> Event:
    """Publish ``name`` about ``deal`` (may be None) to every subscriber, synchronously.

    Call it inside the service's transaction, after the change is written. ``silent``: the
    subscribers whose probe found nobody listening in this transaction; they are skipped.
    ``hints``: the other probed subscribers' answers, handed to them on ``event.hints``.
    """
    event = Event(
        name=name, id=uuid.uuid4().hex, at=timezone.now(),
        deal_id=getattr(deal, "pk", None), pipeline_id=getattr(deal, "pipeline_id", None),
        actor_id=getattr(actor, "pk", None), data=_json(data), cause=current_cause(),
        hints=dict(hints or {}))
    for handler in list(_subscribers):
        if handler not in silent:
            handler(event)
    return event


def publish_transition(*, deal: Any, transition: Any, actor: Any = None,
                       silent: frozenset[Subscriber] = frozenset(),
                       hints: dict[Subscriber, Any] | None = None) -> Event | None:
    """Publish the event of a stage change (advance, skip, win, loss, reopen, correction)."""
    name = TRANSITION_EVENTS.get(transition.kind)
    if name is None:
        return None
    return publish(name, deal=deal, actor=actor, silent=silent, hints=hints,
                   transition_id=transition.pk,
                   kind=transition.kind, from_stage_id=transition.from_stage_id,
                   to_stage_id=transition.to_stage_id,
                   stage_entered_at=getattr(deal, "stage_entered_at", None))


def publish_field_changes(*, deal: Any, changes: list[Any], actor: Any = None) -> Event | None:
    """Publish "deal.field_changed" for the audit rows ``changes`` (nothing if empty)."""
    if not changes:
        return None
    return publish(DEAL_FIELD_CHANGED, deal=deal, actor=actor, changes=[
        {"field": c.field, "old": c.old_value, "new": c.new_value} for c in changes])
