"""Lead capture: channels (web form, callback form, inbound webhook, telephony) and the raw
log of everything they received."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.pipelines.models import Pipeline


class Channel(models.Model):
    """Where leads come from, and what becomes of them: the target pipeline, who gets the
    new deals (round-robin or least-loaded), the source label and the task deadline."""

    class Kind(models.TextChoices):
        FORM = "form", _("Web form")
        CALLBACK = "callback", _("Callback request form")
        WEBHOOK = "webhook", _("Inbound webhook")
        TELEPHONY = "telephony", _("Telephony webhook")

    class Distribution(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Round-robin")
        LEAST_LOADED = "least_loaded", _("Least loaded (fewest open deals)")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    # The secret in the public URL; a request without the right key is a 404.
    key = models.CharField(_("key"), max_length=64, unique=True)
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("target pipeline"))
    is_active = models.BooleanField(_("active"), default=True)
    # Forms: [{"name", "label", "target", "required"}]; targets are the lead fields of
    # capture.fields.TARGETS.
    fields = models.JSONField(_("form fields"), default=list, blank=True)
    # Webhooks and telephony: {lead field: "dotted.path" in the received JSON}.
    mapping = models.JSONField(_("field mapping"), default=dict, blank=True)
    distribution = models.CharField(_("distribution"), max_length=16,
                                    choices=Distribution.choices,
                                    default=Distribution.ROUND_ROBIN)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("members"),
        help_text=_("Who receives the new deals; empty means every manager of the "
                    "pipeline's team."))
    last_assigned = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                      null=True, blank=True, related_name="+",
                                      verbose_name=_("last assigned"))
    source = models.CharField(_("source"), max_length=100, blank=True, default="")
    task_due_minutes = models.PositiveIntegerField(_("task deadline, minutes"), default=30)
    success_url = models.URLField(_("redirect after submit"), max_length=500, blank=True,
                                  default="")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("capture channel")
        verbose_name_plural = _("capture channels")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Capture(models.Model):
    """One received request, stored before anything else happens, with its outcome."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Received, not processed")
        CREATED = "created", _("New deal created")
        ATTACHED = "attached", _("Attached to an open deal")
        CALL_LOGGED = "call_logged", _("Call logged")
        INVALID = "invalid", _("Rejected: invalid data")
        SPAM = "spam", _("Rejected: spam")

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="captures",
                                verbose_name=_("channel"))
    provider_id = models.CharField(_("provider id"), max_length=200, blank=True, default="")
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    payload = models.JSONField(_("payload"), default=dict)
    meta = models.JSONField(_("request details"), default=dict, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices,
                               default=Outcome.PENDING)
    errors = models.JSONField(_("errors"), default=dict, blank=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    deal = models.ForeignKey("deals.Deal", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="captures", verbose_name=_("deal"))
    contact = models.ForeignKey("crm.Contact", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+", verbose_name=_("contact"))
    task = models.ForeignKey("activities.Task", on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+", verbose_name=_("task"))
    call = models.ForeignKey("activities.Call", on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+", verbose_name=_("call"))

    class Meta:
        verbose_name = _("captured request")
        verbose_name_plural = _("captured requests")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["ip", "received_at"]),
                   models.Index(fields=["channel", "received_at"])]
        constraints = [
            # Replays of one provider id are stored once, so processed once.
            models.UniqueConstraint(fields=["channel", "provider_id"],
                                    condition=~Q(provider_id=""),
                                    name="capture_provider_id_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} #{self.pk} ({self.outcome})"
