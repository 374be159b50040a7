"""Write use cases for webhook subscriptions (administrators only: the body leaves the system)."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.accounts.models import Team, User
from voronka.core import events
from voronka.core.errors import PermissionDenied, ValidationError

from .models import WebhookDelivery, WebhookSubscription
from .webhooks import deliveries_create, delivery_send

# The events a subscription may ask for, with their labels.
EVENTS: dict[str, Any] = {
    events.DEAL_CREATED: gettext_lazy("Deal created"),
    events.DEAL_STAGE_CHANGED: gettext_lazy("Deal changed stage"),
    events.DEAL_WON: gettext_lazy("Deal won"),
    events.DEAL_LOST: gettext_lazy("Deal lost"),
    events.DEAL_REOPENED: gettext_lazy("Deal reopened"),
    events.DEAL_FIELD_CHANGED: gettext_lazy("Deal field changed"),
    events.TASK_CREATED: gettext_lazy("Task created"),
    events.PAYMENT_RECORDED: gettext_lazy("Payment recorded"),
    events.LEAD_CAPTURED: gettext_lazy("Lead captured"),
    events.CALL_MISSED: gettext_lazy("Missed call"),
}
UNCHANGED = object()
# The event name of a delivery made by an automation rule's "call a webhook" action.
AUTOMATION_EVENT = "automation.webhook"


def _admin(actor: User | None) -> None:
    if actor is not None and not actor.is_admin:
        raise PermissionDenied(_("Only an administrator can manage webhooks."))


def _clean(url: str, event_names: Any, name: str) -> dict[str, Any]:
    errors: dict[str, str] = {}
    url = (url or "").strip()
    if not url.startswith(("http://", "https://")) or len(url) > 1000 or " " in url:
        errors["url"] = _("Enter an http(s) address.")
    if not isinstance(event_names, list | tuple) or not event_names:
        errors["events"] = _("Choose at least one event.")
    else:
        unknown = sorted(set(event_names) - set(EVENTS))
        if unknown:
            errors["events"] = _("Unknown event: %(names)s.") % {"names": ", ".join(unknown)}
    if errors:
        raise ValidationError(errors)
    return {"url": url, "events": sorted(set(event_names)), "name": (name or "").strip()[:200]}


@transaction.atomic
def webhook_subscription_create(*, actor: User | None, url: str, events: list[str],
                                team: Team | None = None, name: str = "",
                                secret: str = "") -> WebhookSubscription:
    """Subscribe ``url`` to ``events`` (of ``team``, or of every team). Without a secret a
    strong one is generated; it is shown in the settings to configure the receiver."""
    _admin(actor)
    fields = _clean(url, events, name)
    secret = (secret or "").strip() or secrets.token_urlsafe(32)
    if len(secret) < 16:
        raise ValidationError({"secret": _("At least 16 characters.")})
    return WebhookSubscription.objects.create(team=team, secret=secret[:200], created_by=actor,
                                              **fields)


@transaction.atomic
def webhook_subscription_update(*, actor: User | None, subscription: WebhookSubscription,
                                url: str, events: list[str], name: str = "",
                                is_active: bool = True,
                                team: Team | None | object = UNCHANGED) -> WebhookSubscription:
    """Change a subscription (``team=None``: every team). Enabling a disabled one clears its
    failure record."""
    _admin(actor)
    fields = _clean(url, events, name)
    if team is not UNCHANGED:
        fields["team"] = team
    for key, value in fields.items():
        setattr(subscription, key, value)
    if is_active and not subscription.is_active:
        subscription.disabled_at, subscription.disabled_reason = None, ""
        subscription.failing_since, subscription.consecutive_failures = None, 0
    subscription.is_active = bool(is_active)
    subscription.save()
    return subscription


@transaction.atomic
def webhook_subscription_rotate_secret(*, actor: User | None,
                                       subscription: WebhookSubscription) -> str:
    _admin(actor)
    subscription.secret = secrets.token_urlsafe(32)
    subscription.save(update_fields=["secret"])
    return subscription.secret


@transaction.atomic
def webhook_subscription_delete(*, actor: User | None,
                                subscription: WebhookSubscription) -> None:
    _admin(actor)
    subscription.delete()


def webhook_send_test(*, actor: User | None,
                      subscription: WebhookSubscription) -> WebhookDelivery:
    """The "send test" button: one signed request now, its answer in the delivery log."""
    _admin(actor)
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            subscription=subscription, event="test", is_test=True,
            idempotency_key=f"test:{uuid.uuid4().hex}",
            payload={"message": "Voronka webhook test", "sent_at": timezone.now().isoformat(),
                     "by": getattr(actor, "email", "")})
    delivery_send(delivery.pk)
    delivery.refresh_from_db()
    return delivery


def webhook_call(*, subscription: WebhookSubscription, payload: dict[str, Any],
                 idempotency_key: str) -> WebhookDelivery:
    """Queue one delivery to ``subscription`` whatever its events (an automation action)."""
    if not subscription.is_active:
        raise ValidationError({"subscription": _("The webhook is disabled.")})
    return deliveries_create(event=AUTOMATION_EVENT, payload=payload, key=idempotency_key,
                             subscriptions=[subscription])[0]
