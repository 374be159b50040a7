"""What capture tells the rest of the system. The single place a captured lead or a missed
call is announced: automation and outgoing webhooks subscribe to these domain events."""

from __future__ import annotations

from typing import Any

from voronka.core import events as domain


def lead_captured(*, capture: Any, deal: Any, created: bool,
                  silent: frozenset[domain.Subscriber] = frozenset(),
                  hints: dict[domain.Subscriber, Any] | None = None) -> None:
    """A lead arrived and sits on ``deal`` (new when ``created``). Runs inside the capture's
    transaction, so subscribers' work commits with it. ``silent``: the subscribers whose
    probe found nobody listening (core.events); ``hints``: the others' probe answers."""
    domain.publish(domain.LEAD_CAPTURED, deal=deal, silent=silent, hints=hints,
                   capture_id=capture.pk,
                   channel_id=capture.channel_id, created=created,
                   contact_id=capture.contact_id,
                   task_id=getattr(capture.task, "pk", None))


def call_missed(*, capture: Any, deal: Any, call: Any,
                silent: frozenset[domain.Subscriber] = frozenset(),
                hints: dict[domain.Subscriber, Any] | None = None) -> None:
    """An inbound call nobody answered; a call-back task is already set."""
    domain.publish(domain.CALL_MISSED, deal=deal, silent=silent, hints=hints,
                   capture_id=capture.pk,
                   call_id=call.pk, phone=call.phone, task_id=getattr(capture.task, "pk", None))
