from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Team
from voronka.deals.models import Deal


class EmailTemplate(models.Model):
    """A message the automation (or a user) sends: ``{{ deal.title }}``-style variables."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="email_templates", verbose_name=_("team"),
                             help_text=_("Empty: shared by every team."))
    name = models.CharField(_("name"), max_length=200)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("text"))
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("e-mail template")
        verbose_name_plural = _("e-mail templates")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["team", "name"],
                                               name="emailtemplate_team_name_unique")]

    def __str__(self) -> str:
        return self.name


class OutgoingEmail(models.Model):
    """One e-mail to send (and, once sent, a line on the deal's timeline)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        RETRYING = "retrying", _("Will retry")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="emails", verbose_name=_("deal"))
    template = models.ForeignKey(EmailTemplate, on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+", verbose_name=_("template"))
    to = models.CharField(_("to"), max_length=254)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("text"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True, default="")
    # The same key is sent as the Message-ID, so a re-sent copy is recognisably the same mail.
    idempotency_key = models.CharField(max_length=200, unique=True)
    message_id = models.CharField(max_length=300, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["deal", "created_at"])]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


class WebhookSubscription(models.Model):
    """An outside system that wants to hear about events, signed with a shared secret."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="webhooks", verbose_name=_("team"),
                             help_text=_("Empty: events of every team."))
    name = models.CharField(_("name"), max_length=200, blank=True, default="")
    url = models.URLField(_("URL"), max_length=1000)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(_("secret"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.CharField(_("why disabled"), max_length=500, blank=True,
                                       default="")
    # Failure bookkeeping for auto-disable: reset by the first success.
    failing_since = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name or self.url


class WebhookDelivery(models.Model):
    """One event to one subscriber, retried with back-off until delivered or given up."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RETRYING = "retrying", _("Will retry")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE,
                                     related_name="deliveries", verbose_name=_("subscription"))
    event = models.CharField(_("event"), max_length=60)
    payload = models.JSONField(_("payload"))
    # Sent as the Idempotency-Key header; the receiver processes each key once.
    idempotency_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(_("status"), max_length=9, choices=Status.choices,
                              default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True,
                                                        blank=True)
    last_error = models.TextField(_("last error"), blank=True, default="")
    is_test = models.BooleanField(_("test"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["subscription", "created_at"]),
                   models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription_id} ({self.status})"


class WebhookAttempt(models.Model):
    """The delivery log: every HTTP attempt with its answer."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE,
                                 related_name="attempt_log", verbose_name=_("delivery"))
    number = models.PositiveSmallIntegerField(_("attempt"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True, default="")
    duration_ms = models.PositiveIntegerField(_("duration, ms"), default=0)
    response_excerpt = models.CharField(_("response"), max_length=500, blank=True, default="")

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["delivery_id", "number", "id"]

    def __str__(self) -> str:
        return f"#{self.number} {self.status_code or self.error[:40]}"
