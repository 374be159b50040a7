from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.crm.models import Company, Contact
from voronka.deals.models import Deal
from voronka.pipelines.models import Stage


class TaskKind(models.TextChoices):
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    EMAIL = "email", _("E-mail")
    DOCUMENT = "document", _("Send a document")
    FOLLOW_UP = "follow_up", _("Follow up")
    OTHER = "other", _("Other")


def _one_subject() -> Q:
    return Q(deal__isnull=False) | Q(contact__isnull=False) | Q(company__isnull=False)


class Task(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="tasks", verbose_name=_("deal"))
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="tasks", verbose_name=_("contact"))
    company = models.ForeignKey(Company, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="tasks", verbose_name=_("company"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="tasks", verbose_name=_("assignee"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=24, choices=TaskKind.choices,
                            default=TaskKind.OTHER)
    text = models.TextField(_("text"))
    due_at = models.DateTimeField(_("due"), db_index=True)
    is_done = models.BooleanField(_("done"), default=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["assignee", "is_done", "due_at"]),
                   models.Index(fields=["deal", "kind", "is_done"]),
                   # A deal's next task (the board's cards): its first open task by due time.
                   models.Index(fields=["deal", "due_at", "id"], condition=Q(is_done=False),
                                name="task_next_open_idx")]
        constraints = [
            models.CheckConstraint(condition=_one_subject(), name="task_has_subject"),
            models.CheckConstraint(condition=Q(is_done=False) | Q(done_at__isnull=False),
                                   name="task_done_has_time"),
        ]

    def __str__(self) -> str:
        return self.text[:60]


class Note(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="notes", verbose_name=_("deal"))
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="notes", verbose_name=_("contact"))
    company = models.ForeignKey(Company, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="notes", verbose_name=_("company"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="+", verbose_name=_("author"))
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=_one_subject(), name="note_has_subject")]

    def __str__(self) -> str:
        return self.text[:60]


class Call(models.Model):
    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")

    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    phone = models.CharField(_("phone"), max_length=20, db_index=True)
    started_at = models.DateTimeField(_("started at"), db_index=True)
    duration_seconds = models.PositiveIntegerField(_("duration, seconds"), default=0)
    answered = models.BooleanField(_("answered"), default=True)
    recording_url = models.URLField(_("recording"), max_length=1000, blank=True, default="")
    provider_call_id = models.CharField(_("provider call id"), max_length=200, blank=True,
                                        default="")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="calls", verbose_name=_("user"))
    deal = models.ForeignKey(Deal, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="calls", verbose_name=_("deal"))
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="calls", verbose_name=_("contact"))
    # The stage the deal was on when the call happened, so calls can be counted per stage.
    stage = models.ForeignKey(Stage, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("stage at call time"))

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["user", "started_at"])]

    def __str__(self) -> str:
        return f"{self.direction} {self.phone} {self.duration_seconds}s"
