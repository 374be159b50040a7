"""Monthly plans and the stored win-probability models."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Team
from voronka.pipelines.models import Pipeline


class Plan(models.Model):
    """A month's target: for one manager (``user`` set) or for the whole team (``user`` empty).
    ``month`` is always the first day of the month."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="plans",
                             verbose_name=_("team"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True,
                             blank=True, related_name="plans", verbose_name=_("manager"))
    month = models.DateField(_("month"))
    revenue = models.DecimalField(_("revenue target"), max_digits=14, decimal_places=2,
                                  default=Decimal("0"))
    wins = models.PositiveIntegerField(_("won deals target"), default=0)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["-month", "team_id", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user", "month"], condition=Q(
                user__isnull=False), name="plan_unique_manager_month"),
            models.UniqueConstraint(fields=["team", "month"], condition=Q(user__isnull=True),
                                    name="plan_unique_team_month"),
            models.CheckConstraint(condition=Q(revenue__gte=0), name="plan_revenue_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.user or self.team}"


class WinModel(models.Model):
    """A trained win-probability model of one pipeline: the pickled estimator and how it did
    on the time-based hold-out next to the stage-probability baseline."""

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("pipeline"))
    created_at = models.DateTimeField(_("trained at"), default=timezone.now)
    blob = models.BinaryField()
    metrics = models.JSONField(_("metrics"), default=dict)
    # True when the model beat the baseline on the hold-out (lower Brier score): the forecast
    # then uses it; otherwise the stage probabilities.
    in_use = models.BooleanField(_("in use"), default=False)

    class Meta:
        verbose_name = _("win-probability model")
        verbose_name_plural = _("win-probability models")
        ordering = ["-created_at", "-id"]
        get_latest_by = "created_at"

    def __str__(self) -> str:
        return f"{self.pipeline_id} {self.created_at:%Y-%m-%d %H:%M}"
