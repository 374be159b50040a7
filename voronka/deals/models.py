from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.crm.models import Company, Contact, ContactRole
from voronka.pipelines.models import LossReason, Pipeline, Stage, StageRequirement


class Deal(models.Model):
    """The intention to sell. Its stage changes only through the move services."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    title = models.CharField(_("title"), max_length=300)
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="deals",
                                 verbose_name=_("pipeline"))
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="deals",
                              verbose_name=_("stage"))
    # The furthest stage ever reached: analytics count "reached" from it, corrections never
    # lower it.
    furthest_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+",
                                       verbose_name=_("furthest stage reached"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.OPEN)
    budget = models.DecimalField(_("budget"), max_digits=14, decimal_places=2,
                                 default=Decimal("0"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="deals", verbose_name=_("owner"))
    company = models.ForeignKey(Company, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="deals", verbose_name=_("company"))
    contacts = models.ManyToManyField(Contact, through="DealContact", related_name="deals",
                                      verbose_name=_("contacts"))
    source = models.CharField(_("source"), max_length=100, blank=True, default="")
    utm_source = models.CharField("utm_source", max_length=200, blank=True, default="")
    utm_medium = models.CharField("utm_medium", max_length=200, blank=True, default="")
    utm_campaign = models.CharField("utm_campaign", max_length=200, blank=True, default="")
    utm_term = models.CharField("utm_term", max_length=200, blank=True, default="")
    utm_content = models.CharField("utm_content", max_length=200, blank=True, default="")
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("created by"))
    stage_entered_at = models.DateTimeField(_("entered stage at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    loss_reason = models.ForeignKey(LossReason, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="deals", verbose_name=_("loss reason"))
    loss_comment = models.TextField(_("loss comment"), blank=True, default="")
    # Set by import when the deal was placed past stages whose exit facts it does not show:
    # the history came from elsewhere; later moves still need their facts (gates apply).
    facts_unverified = models.BooleanField(_("facts unverified"), default=False)
    # Bumped by every write; a caller that read version N and writes with expected_version=N
    # gets a conflict if someone else wrote first.
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The board: each column's first cards are an index range read in order (newest
            # in the stage first) and its count and budget read the index alone.
            models.Index(fields=["pipeline", "status", "stage", "stage_entered_at", "id",
                                 "budget"], name="deal_board_idx"),
            models.Index(fields=["owner", "status"]),
            # Closed deals by when they closed (the forecast's "won so far this month").
            models.Index(fields=["pipeline", "status", "closed_at"], name="deal_closed_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(budget__gte=0), name="deal_budget_nonnegative"),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True)
                | (~Q(status="open") & Q(closed_at__isnull=False)),
                name="deal_closed_at_matches_status",
            ),
            models.CheckConstraint(
                condition=~Q(status="lost") | Q(loss_reason__isnull=False),
                name="deal_lost_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class DealContact(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="deal_contacts")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="deal_links")
    role = models.CharField(_("role"), max_length=20, choices=ContactRole.choices,
                            default=ContactRole.OTHER)

    class Meta:
        verbose_name = _("deal contact")
        verbose_name_plural = _("deal contacts")
        constraints = [
            models.UniqueConstraint(fields=["deal", "contact"], name="dealcontact_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.contact} ({self.get_role_display()})"


class DealFact(models.Model):
    """A named fact confirmed by a user for a deal: who confirmed it and when."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="facts")
    requirement = models.ForeignKey(StageRequirement, on_delete=models.CASCADE, related_name="+")
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("confirmed by"))
    confirmed_at = models.DateTimeField(_("confirmed at"), default=timezone.now)
    comment = models.CharField(_("comment"), max_length=500, blank=True, default="")

    class Meta:
        verbose_name = _("confirmed fact")
        verbose_name_plural = _("confirmed facts")
        constraints = [
            models.UniqueConstraint(fields=["deal", "requirement"], name="dealfact_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.requirement.fact_name} ({self.confirmed_by}, {self.confirmed_at:%Y-%m-%d})"


class Payment(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="payments",
                             verbose_name=_("deal"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    paid_on = models.DateField(_("paid on"))
    reference = models.CharField(_("reference"), max_length=200, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} ({self.paid_on})"


class Transition(models.Model):
    """The fact table: every stage change of every deal. Never updated, never deleted."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        ADVANCE = "advance", _("Advance")
        SKIP = "skip", _("Skip")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")
        REOPEN = "reopen", _("Reopen")
        CORRECTION = "correction", _("Correction")
        IMPORTED = "imported", _("Imported")

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="transitions",
                             verbose_name=_("deal"))
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("pipeline"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    from_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("from stage"))
    # For lost and reopen: the stage the deal was lost on / returns to. For won: the last
    # stage (won means the last stage's fact is achieved, so every stage was reached).
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("to stage"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                           blank=True, related_name="+", verbose_name=_("by"))
    seconds_in_stage = models.BigIntegerField(_("seconds in the stage left"), default=0)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("deal owner"))
    loss_reason = models.ForeignKey(LossReason, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("loss reason"))
    comment = models.TextField(_("comment"), blank=True, default="")
    # The deal's budget when the move was made: reports value the wins, losses and arrivals of
    # a period with it, so a later edit of the budget does not rewrite a closed month. Empty
    # only where nothing recorded it (reports then use the deal's current budget).
    budget = models.DecimalField(_("budget at the move"), max_digits=14, decimal_places=2,
                                 null=True, blank=True)

    class Meta:
        verbose_name = _("transition")
        verbose_name_plural = _("transitions")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["deal", "at"]),
            models.Index(fields=["pipeline", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.from_stage_id}→{self.to_stage_id} ({self.kind})"
