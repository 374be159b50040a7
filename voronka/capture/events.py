"""What capture tells the rest of the system: the single place a captured lead is announced
(automation and outgoing webhooks subscribe to the domain events). A missed call is
announced by ``activities.services.call_log``, however the call was logged."""

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

