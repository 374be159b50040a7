"""Import runs (what was uploaded, how it was mapped, how far it got, what was rejected) and
the column mappings remembered per source."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    DEALS = "deals", _("Deals")
    CONTACTS = "contacts", _("Contacts")
    COMPANIES = "companies", _("Companies")


class SavedMapping(models.Model):
    """The column mapping a user last confirmed for a source ("amocrm", "bitrix24", a file
    name…) and a kind, offered again the next time."""

    source = models.CharField(_("source"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    mapping = models.JSONField(_("mapping"), default=dict)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("saved column mapping")
        verbose_name_plural = _("saved column mappings")
        constraints = [models.UniqueConstraint(fields=["source", "kind"],
                                               name="savedmapping_unique")]

    def __str__(self) -> str:
        return f"{self.source}/{self.kind}"


class ImportRun(models.Model):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+", verbose_name=_("user"))
    file_name = models.CharField(_("file"), max_length=300)
    # Under VAR_DIR/imports/: the worker reads it; removed when the run ends.
    stored_path = models.CharField(max_length=500)
    history_path = models.CharField(max_length=500, blank=True, default="")
    source = models.CharField(_("source"), max_length=100, blank=True, default="")
    encoding = models.CharField(_("encoding"), max_length=20, default="auto")
    mapping = models.JSONField(_("mapping"), default=dict, blank=True)
    options = models.JSONField(_("options"), default=dict, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.UPLOADED)
    result = models.JSONField(_("result"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.kind})"


class ImportedRecord(models.Model):
    """Which object an external id of a source became: a second import of the same row is
    reported as a duplicate instead of doubling the data."""

    source = models.CharField(max_length=100)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    external_id = models.CharField(max_length=100)
    object_id = models.BigIntegerField()
    run = models.ForeignKey(ImportRun, on_delete=models.SET_NULL, null=True, blank=True,
                            related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "kind", "external_id"],
                                               name="importedrecord_unique")]

    def __str__(self) -> str:
        return f"{self.source}/{self.kind}/{self.external_id}"
