"""Reads for the integrations screens: templates, subscriptions, deliveries."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from voronka.accounts.models import User
from voronka.core.errors import NotFound

from .models import EmailTemplate, WebhookDelivery, WebhookSubscription


def email_templates_for(*, team_id: int | None) -> list[EmailTemplate]:
    """Active templates a pipeline of ``team_id`` may send: the team's and the shared ones."""
    return list(EmailTemplate.objects.filter(Q(team_id=team_id) | Q(team__isnull=True),
                                             is_active=True).order_by("name"))


def email_template_list(*, user: User) -> QuerySet[EmailTemplate]:
    """The templates ``user`` may edit: all for an administrator, the team's for a head."""
    qs = EmailTemplate.objects.select_related("team")
    if user.is_admin:
        return qs
    if user.is_head and user.team_id:
        return qs.filter(team_id=user.team_id)
    return qs.none()


def email_template_get(*, user: User, pk: int) -> EmailTemplate:
    template = email_template_list(user=user).filter(pk=pk).first()
    if template is None:
        raise NotFound("template")
    return template


def webhooks_for(*, team_id: int | None) -> QuerySet[WebhookSubscription]:
    """Active subscriptions a pipeline of ``team_id`` may send its deals to: the team's own
    and those for every team. Another team's endpoint never receives this team's deals."""
    return WebhookSubscription.objects.filter(Q(team_id=team_id) | Q(team__isnull=True),
                                              is_active=True).order_by("id")


def webhook_list(*, user: User) -> QuerySet[WebhookSubscription]:
    if not user.is_admin:
        return WebhookSubscription.objects.none()
    return WebhookSubscription.objects.select_related("team").order_by("id")


def webhook_get(*, user: User, pk: int) -> WebhookSubscription:
    sub = webhook_list(user=user).filter(pk=pk).first()
    if sub is None:
        raise NotFound("webhook")
    return sub


def delivery_log(*, subscription: WebhookSubscription, limit: int = 100
                 ) -> list[WebhookDelivery]:
    """The latest deliveries with their attempts (two queries)."""
    return list(subscription.deliveries.prefetch_related("attempt_log")[:limit])
