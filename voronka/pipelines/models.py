from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Team


class Pipeline(models.Model):
    """One department's funnel: an ordered list of stages, each passed by a fact."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="pipelines",
                             verbose_name=_("team"))
    name = models.CharField(_("name"), max_length=200)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="pipeline_team_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages",
                                 verbose_name=_("pipeline"))
    name = models.CharField(_("name"), max_length=200)
    goal = models.CharField(_("goal"), max_length=500, blank=True, default="",
                            help_text=_("The exit fact, in words: how we know the stage is done."))
    position = models.PositiveIntegerField(_("position"))
    time_limit_hours = models.PositiveIntegerField(_("time limit, hours"), null=True, blank=True)
    probability = models.PositiveSmallIntegerField(
        _("win probability, %"), default=0, validators=[MaxValueValidator(100)])

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline_id", "position", "id"]
        indexes = [models.Index(fields=["pipeline", "position"])]

    def __str__(self) -> str:
        return self.name


class LossReason(models.Model):
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="loss_reasons",
                                 verbose_name=_("pipeline"))
    name = models.CharField(_("name"), max_length=200)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("loss reason")
        verbose_name_plural = _("loss reasons")
        ordering = ["pipeline_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "name"], name="lossreason_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class CustomField(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        MONEY = "money", _("Money")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")
        BOOLEAN = "boolean", _("Yes/no")

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="custom_fields",
                                 verbose_name=_("pipeline"))
    code = models.SlugField(_("code"), max_length=60)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["pipeline_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "code"], name="customfield_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class StageRequirement(models.Model):
    """One exit fact of a stage, as data. All of a stage's requirements must hold to leave it."""

    class Kind(models.TextChoices):
        FIELD_FILLED = "field_filled", _("Field filled")
        CONTACT_ATTACHED = "contact_attached", _("Contact attached")
        COMPANY_ATTACHED = "company_attached", _("Company attached")
        TASK_COMPLETED = "task_completed", _("Task of a kind completed")
        PAYMENT_RECEIVED = "payment_received", _("Payments reach a share of the budget")
        FACT_CONFIRMED = "fact_confirmed", _("Fact confirmed by a user")

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="requirements",
                              verbose_name=_("stage"))
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    # FIELD_FILLED: a built-in deal field name, or the custom field.
    field_name = models.CharField(_("built-in field"), max_length=60, blank=True, default="")
    custom_field = models.ForeignKey(CustomField, on_delete=models.CASCADE, null=True, blank=True,
                                     related_name="+", verbose_name=_("custom field"))
    # TASK_COMPLETED: the task kind (see activities.TaskKind).
    task_kind = models.CharField(_("task kind"), max_length=24, blank=True, default="")
    # PAYMENT_RECEIVED: the share of the budget (0.5 prepayment, 1 full payment).
    payment_share = models.DecimalField(
        _("share of budget"), max_digits=4, decimal_places=3, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.001")), MaxValueValidator(Decimal("1"))])
    # FACT_CONFIRMED: the fact's name, e.g. "ТЗ согласовано".
    fact_name = models.CharField(_("fact"), max_length=200, blank=True, default="")
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("exit requirement")
        verbose_name_plural = _("exit requirements")
        ordering = ["stage_id", "position", "id"]

    def __str__(self) -> str:
        return f"{self.stage}: {self.get_kind_display()}"
