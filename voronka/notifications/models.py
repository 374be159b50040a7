from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.deals.models import Deal


class Notification(models.Model):
    """An in-app message to one user (an automation's "notify", a disabled webhook…)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notifications", verbose_name=_("user"))
    text = models.TextField(_("text"))
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="notifications", verbose_name=_("deal"))
    url = models.CharField(_("link"), max_length=500, blank=True, default="")
    # Set by automated senders so a re-run never notifies twice; empty for one-offs.
    idempotency_key = models.CharField(max_length=220, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "created_at"])]
        constraints = [models.UniqueConstraint(
            fields=["idempotency_key"], condition=~Q(idempotency_key=""),
            name="notification_idempotency_key_unique")]

    def __str__(self) -> str:
        return self.text[:60]
