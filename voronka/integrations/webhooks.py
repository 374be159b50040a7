"""Outgoing webhooks: subscriptions, signed deliveries, retries with back-off, auto-disable.

A delivery row and its job are written in the transaction of the change that caused the
event, so nothing is sent for a change that rolled back and nothing is lost for one that
committed. Each request carries:

* ``Idempotency-Key`` — the same for every attempt of a delivery; receivers process a key
  once (a worker killed after sending but before recording the answer sends it again);
* ``X-Voronka-Signature: t=<unix time>,v1=<hex>`` — HMAC-SHA256 of ``"<t>.<body>"`` with the
  subscription's secret (``verify_signature`` shows the receiver's side);
* ``X-Voronka-Event`` and ``X-Voronka-Delivery``.

A failed attempt is retried after 1 min, 5 min, 15 min, 1 h, 3 h, 6 h and 12 h (about 22 h
in all, with jitter); then the delivery fails. A subscription is disabled — and the people
who manage it notified — when a delivery fails for good with no success since it was
created (the endpoint has been down for a whole day), or at once on HTTP 410 Gone.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import ipaddress
import json
import logging
import random
import socket
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import WebhookAttempt, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

BACKOFF = (60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600)
MAX_ATTEMPTS = len(BACKOFF) + 1
TIMEOUT_S = 10
SIGNATURE_HEADER = "X-Voronka-Signature"
USER_AGENT = "Voronka-Webhooks/1"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(secret: str, header: str, body: bytes, *, tolerance_s: int = 300,
                     now: float | None = None) -> bool:
    """The receiver's check: the signature matches and is not older than ``tolerance_s``."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance_s:
        return False
    expected = sign(secret, timestamp, body)
    return hmac.compare_digest(expected, header.strip())


def body_of(delivery: WebhookDelivery) -> bytes:
    """The request body: the same bytes for every attempt of a delivery."""
    envelope = {"id": delivery.idempotency_key, "event": delivery.event,
                "created_at": delivery.created_at.isoformat(), "test": delivery.is_test,
                "data": delivery.payload}
    return json.dumps(envelope, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode()


def _address_allowed(url: str) -> str:
    """"" if the URL may be called; otherwise why not (private networks need a setting)."""
    if getattr(settings, "VORONKA_WEBHOOKS_ALLOW_PRIVATE", False):
        return ""
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError as exc:
        return f"DNS: {exc}"
    for info in infos:
        ip = ipaddress.ip_address(info[4][0])
        if not ip.is_global:
            return _("The address %(ip)s is on a private network; set "
                     "VORONKA_WEBHOOKS_ALLOW_PRIVATE=1 to allow it.") % {"ip": ip}
    return ""


def _post(delivery: WebhookDelivery, sub: WebhookSubscription
          ) -> tuple[int | None, str, str, int, bool]:
    """One HTTP attempt: (status code or None, error, response excerpt, milliseconds,
    whether the failure is permanent)."""
    refused = _address_allowed(sub.url)
    if refused:
        return None, refused, "", 0, not refused.startswith("DNS")
    body = body_of(delivery)
    request = urllib.request.Request(sub.url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "Idempotency-Key": delivery.idempotency_key,
        "X-Voronka-Event": delivery.event,
        "X-Voronka-Delivery": str(delivery.pk),
        SIGNATURE_HEADER: sign(sub.secret, int(time.time()), body),
    })
    started = time.monotonic()
    try:
        # No redirects followed: a subscriber's URL is where the signed body goes, nowhere else.
        with _OPENER.open(request, timeout=TIMEOUT_S) as response:
            code, excerpt, error = response.status, response.read(500), ""
    except urllib.error.HTTPError as exc:
        code, excerpt, error = exc.code, exc.read(500) if exc.fp else b"", f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        code, excerpt = None, b""
        error = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
    ms = int((time.monotonic() - started) * 1000)
    return code, error[:2000], excerpt.decode("utf-8", "replace")[:500], ms, False


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def delivery_send(delivery_id: int) -> str:
    """Make the next attempt of a delivery (the job's body). Returns its status afterwards.

    Nothing is locked across the HTTP call and nothing is written before it: one commit per
    attempt. A worker that dies mid-request leaves the delivery as it was, so the re-queued
    job sends it again with the same key (the receiver processes a key once)."""
    delivery = (WebhookDelivery.objects.select_related("subscription")
                .filter(pk=delivery_id).first())
    if delivery is None:
        return "missing"
    if delivery.status in (WebhookDelivery.Status.DELIVERED, WebhookDelivery.Status.FAILED):
        return delivery.status
    sub = delivery.subscription
    if not sub.is_active and not delivery.is_test:
        WebhookDelivery.objects.filter(pk=delivery_id).exclude(
            status=WebhookDelivery.Status.DELIVERED).update(
            status=WebhookDelivery.Status.FAILED, last_error=_("The subscription is disabled."))
        return WebhookDelivery.Status.FAILED
    code, error, excerpt, ms, permanent = _post(delivery, sub)
    return _record(delivery_id, code, error, excerpt, ms, permanent)


def _record(delivery_id: int, code: int | None, error: str, excerpt: str, ms: int,
            permanent: bool) -> str:
    from voronka.integrations.tasks import deliver_webhook

    now = timezone.now()
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update(of=("self",))
                    .select_related("subscription").get(pk=delivery_id))
        if delivery.status in (WebhookDelivery.Status.DELIVERED, WebhookDelivery.Status.FAILED):
            return delivery.status  # a duplicate run finished it meanwhile
        sub = delivery.subscription
        delivery.attempts += 1
        WebhookAttempt.objects.create(delivery=delivery, number=delivery.attempts, at=now,
                                      status_code=code, error=error, duration_ms=ms,
                                      response_excerpt=excerpt)
        delivery.last_status_code, delivery.last_error = code, error
        if code is not None and 200 <= code < 300:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
                WebhookDelivery.Status.DELIVERED, now, None)
            if sub.consecutive_failures or sub.failing_since:
                # Only a recovering endpoint writes the subscription row, so a busy one is
                # not a point of contention between workers.
                WebhookSubscription.objects.filter(pk=sub.pk).update(
                    consecutive_failures=0, failing_since=None)
        else:
            WebhookSubscription.objects.filter(pk=sub.pk).update(
                consecutive_failures=F("consecutive_failures") + 1)
            if sub.failing_since is None:
                WebhookSubscription.objects.filter(pk=sub.pk, failing_since__isnull=True
                                                   ).update(failing_since=now)
            gone = code == 410
            if gone or permanent or delivery.is_test or delivery.attempts >= MAX_ATTEMPTS:
                delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.FAILED, None
                first_try = (WebhookAttempt.objects.filter(delivery=delivery, number=1)
                             .values_list("at", flat=True).first() or now)
                # No success from anyone since this delivery's first try, a day ago.
                down_all_along = sub.failing_since is not None and sub.failing_since <= first_try
                if not delivery.is_test and (gone or down_all_along):
                    _disable(sub, _("HTTP 410 Gone") if gone else
                             _("Deliveries have failed for a day: %(error)s") % {"error": error})
            else:
                delay = BACKOFF[delivery.attempts - 1] * random.uniform(0.9, 1.1)  # noqa: S311
                delivery.status = WebhookDelivery.Status.RETRYING
                delivery.next_attempt_at = now + datetime.timedelta(seconds=delay)
                deliver_webhook.using(run_after=delivery.next_attempt_at).enqueue(delivery.pk)
        delivery.save(update_fields=["status", "attempts", "delivered_at", "next_attempt_at",
                                     "last_status_code", "last_error"])
    return delivery.status


def _disable(sub: WebhookSubscription, reason: str) -> None:
    """Stop calling an endpoint that is gone, and tell the people who manage it."""
    from voronka.accounts.models import Role, User
    from voronka.notifications.services import notification_create

    now = timezone.now()
    updated = WebhookSubscription.objects.filter(pk=sub.pk, is_active=True).update(
        is_active=False, disabled_at=now, disabled_reason=reason[:500])
    if not updated:
        return
    logger.warning("webhook subscription %s disabled: %s", sub.pk, reason)
    people = {u.pk: u for u in User.objects.filter(role=Role.ADMIN, is_active=True)}
    if sub.created_by_id and sub.created_by.is_active:
        people[sub.created_by_id] = sub.created_by
    for user in people.values():
        notification_create(
            user=user, idempotency_key=f"webhook-disabled:{sub.pk}:{now.timestamp()}:{user.pk}",
            text=_("Webhook “%(name)s” was disabled: %(reason)s") % {"name": str(sub),
                                                                   "reason": reason})


def deliveries_create(*, event: str, payload: dict[str, Any], key: str,
                      subscriptions: list[WebhookSubscription], is_test: bool = False
                      ) -> list[WebhookDelivery]:
    """One delivery (and its job) per subscription, keyed ``<key>:<subscription id>``."""
    from voronka.integrations.tasks import deliver_webhook

    out = []
    for sub in subscriptions:
        delivery_key = f"{key}:{sub.pk}"[:200]
        delivery, created = WebhookDelivery.objects.get_or_create(
            idempotency_key=delivery_key,
            defaults={"subscription": sub, "event": event, "payload": payload,
                      "is_test": is_test})
        if created:
            deliver_webhook.enqueue(delivery.pk)
        out.append(delivery)
    return out
