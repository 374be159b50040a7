"""Raw intake: every capture is stored as received, committed on its own and idempotent by
the provider's id, before anything is made of it (``processing``)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from .fields import dig
from .models import Capture, Channel
from .processing import capture_process

Kind = Channel.Kind
Outcome = Capture.Outcome


def capture_receive(*, channel: Channel, payload: Any, provider_id: str = "",
                    ip: str | None = None, meta: dict | None = None,
                    spam: bool = False) -> tuple[Capture, bool]:
    """Store the raw request, committed on its own so it survives whatever follows.

    Returns (capture, created). A provider id seen before on this channel returns the
    first capture and ``created=False``: a replay changes nothing.
    """
    provider_id = (provider_id or "").strip()[:200]
    now = timezone.now()
    row = Capture(channel=channel, provider_id=provider_id, payload=payload, ip=ip,
                  meta=meta or {}, received_at=now,
                  outcome=Outcome.SPAM if spam else Outcome.PENDING,
                  processed_at=now if spam else None)
    try:
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():  # a savepoint keeps the caller's transaction usable
                row.save(force_insert=True)
        else:
            row.save(force_insert=True)  # one INSERT commits by itself
        capture = row
    except IntegrityError:
        # Seen before (a replay), or sent twice at once: the first one stored is the capture.
        return Capture.objects.get(channel=channel, provider_id=provider_id), False
    return capture, True


def capture_submit(*, channel: Channel, payload: Any, provider_id: str = "",
                   ip: str | None = None, meta: dict | None = None,
                   spam: bool = False) -> tuple[Capture, bool]:
    """Receive and, if new and not spam, process. Returns (capture, created)."""
    if channel.kind == Kind.WEBHOOK and not provider_id:
        provider_id = _webhook_provider_id(channel, payload)
    if channel.kind == Kind.TELEPHONY and not provider_id and isinstance(payload, dict):
        provider_id = str(dig(payload, channel.mapping.get("provider_call_id",
                                                           "provider_call_id")) or "")
    capture, created = capture_receive(channel=channel, payload=payload,
                                       provider_id=provider_id, ip=ip, meta=meta, spam=spam)
    if created and not spam:
        capture = capture_process(capture=capture)
    return capture, created


def _webhook_provider_id(channel: Channel, payload: Any) -> str:
    path = channel.mapping.get("provider_id", "provider_id")
    value = dig(payload, path) if isinstance(payload, dict) else None
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
