from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.deals.models import Deal
from voronka.pipelines.models import Pipeline, Stage


class Trigger(models.TextChoices):
    DEAL_CREATED = "deal_created", _("Deal created")
    STAGE_ENTERED = "stage_entered", _("Deal entered a stage")
    STAGE_LEFT = "stage_left", _("Deal left a stage")
    TIME_IN_STAGE = "time_in_stage", _("Deal stays in a stage too long")
    FIELD_CHANGED = "field_changed", _("A field changed")
    TASK_OVERDUE = "task_overdue", _("A task is overdue")
    PAYMENT_RECORDED = "payment_recorded", _("Payment recorded")
    DEAL_WON = "deal_won", _("Deal won")
    DEAL_LOST = "deal_lost", _("Deal lost")
    LEAD_CAPTURED = "lead_captured", _("Lead captured")
    CALL_MISSED = "call_missed", _("Missed call")


class Rule(models.Model):
    """Trigger → conditions → actions, for one pipeline. Conditions and actions are data
    (lists of dicts) validated by ``conditions.clean`` and ``actions.clean``."""

    class Match(models.TextChoices):
        ALL = "all", _("all conditions hold")
        ANY = "any", _("any condition holds")

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="rules",
                                 verbose_name=_("pipeline"))
    name = models.CharField(_("name"), max_length=200)
    trigger = models.CharField(_("trigger"), max_length=24, choices=Trigger.choices)
    # STAGE_ENTERED / STAGE_LEFT / TIME_IN_STAGE: the stage; empty means any stage.
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="rules", verbose_name=_("stage"))
    # TIME_IN_STAGE: hours in the stage; empty means the stage's own time limit.
    hours = models.PositiveIntegerField(_("hours"), null=True, blank=True)
    # FIELD_CHANGED: "budget", "owner", "custom_fields.<code>"…; empty means any field.
    field = models.CharField(_("field"), max_length=100, blank=True, default="")
    match = models.CharField(_("match"), max_length=3, choices=Match.choices, default=Match.ALL)
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    actions = models.JSONField(_("actions"), default=list)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    # Round-robin assignment: the number of tasks this rule has handed out so far.
    rr_counter = models.PositiveBigIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("automation rule")
        verbose_name_plural = _("automation rules")
        ordering = ["pipeline_id", "position", "id"]
        indexes = [models.Index(fields=["pipeline", "is_active", "trigger"])]

    def __str__(self) -> str:
        return self.name


class RuleRun(models.Model):
    """One evaluation of a rule for one event: what triggered it, what each action did."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCESS = "success", _("Done")
        REFUSED = "refused", _("Stopped: a gate refused the move")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Conditions not met")
        LOOP = "loop", _("Stopped: loop protection")

    # A deleted rule leaves its runs in the deals' history (null here, its name below).
    rule = models.ForeignKey(Rule, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="runs", verbose_name=_("rule"))
    rule_name = models.CharField(_("rule name"), max_length=200, blank=True, default="")
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="rule_runs",
                             verbose_name=_("deal"))
    # The event's id (or a time trigger's own key): a rule runs at most once per event.
    event_key = models.CharField(_("event"), max_length=120)
    trigger = models.CharField(_("trigger"), max_length=24, choices=Trigger.choices)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.RUNNING)
    # [{"type", "outcome": done|already|refused|failed, "detail"}], in the order run;
    # "detail" is data ({"code": "task_created", …}) put into words when shown, in the
    # reader's language (``outcomes.detail_text``); runs logged before that hold plain text.
    actions = models.JSONField(_("actions"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True, default="")
    # Why the rule did not act, as data ({"code": "loop_depth", "n": 8}); empty otherwise.
    reason = models.JSONField(_("reason"), default=dict, blank=True)
    # The rules that caused this run's event, oldest first (loop protection).
    cause = models.JSONField(default=list, blank=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("rule run")
        verbose_name_plural = _("rule runs")
        ordering = ["-started_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["rule", "event_key"],
                                               name="rulerun_once_per_event")]
        indexes = [models.Index(fields=["deal", "started_at"]),
                   models.Index(fields=["rule", "deal", "started_at"])]

    def __str__(self) -> str:
        return f"{self.rule_id}@{self.deal_id}: {self.status}"

    @property
    def display_name(self) -> str:
        """The rule's name: its current one while it exists, else the one it had."""
        rule = self.rule if self.rule_id else None
        return rule.name if rule is not None else self.rule_name

    @property
    def error_text(self) -> str:
        """Why the run stopped, in the reader's language."""
        from .outcomes import reason_text

        return reason_text(self.reason) or self.error

    def action_lines(self) -> list[dict]:
        """The action log with labels and outcome texts, in the reader's language."""
        from .outcomes import labelled

        return labelled(self.actions)


class SideEffect(models.Model):
    """The idempotency ledger: one row per side effect an automation has produced, written in
    the same transaction as the effect. A re-run finds the key and does not repeat it."""

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=40)
    object_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("automation side effect")
        verbose_name_plural = _("automation side effects")

    def __str__(self) -> str:
        return self.key


class StageLimitReminder(models.Model):
    """The built-in reminder of rule 5 (DESIGN): a deal stayed on a stage past the stage's
    time limit and its owner was told, once per stage entry (the unique constraint)."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="limit_reminders",
                             verbose_name=_("deal"))
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+",
                              verbose_name=_("stage"))
    # The deal's stage_entered_at of the stay this reminder is about.
    entered_at = models.DateTimeField(_("entered the stage at"))
    limit_hours = models.PositiveIntegerField(_("time limit, hours"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("owner"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("stage time limit reminder")
        verbose_name_plural = _("stage time limit reminders")
        constraints = [models.UniqueConstraint(fields=["deal", "stage", "entered_at"],
                                               name="stagelimitreminder_once_per_stay")]

    def __str__(self) -> str:
        return f"{self.deal_id}@{self.stage_id} {self.entered_at:%Y-%m-%d %H:%M}"


class WorkerHeartbeat(models.Model):
    """A live job worker. A job RUNNING under a worker whose heartbeat is older than the lease
    was abandoned (the worker died) and is put back in the queue."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=200, blank=True, default="")
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("job worker")
        verbose_name_plural = _("job workers")

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}:{self.pid})"
