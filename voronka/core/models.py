from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FieldChange(models.Model):
    """The audit trail: one row per changed field of a deal, contact or company."""

    class Entity(models.TextChoices):
        DEAL = "deal", _("Deal")
        CONTACT = "contact", _("Contact")
        COMPANY = "company", _("Company")

    entity = models.CharField(_("entity"), max_length=16, choices=Entity.choices)
    object_id = models.BigIntegerField(_("object"))
    field = models.CharField(_("field"), max_length=100)
    old_value = models.TextField(_("old value"), blank=True, default="")
    new_value = models.TextField(_("new value"), blank=True, default="")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), db_index=True)

    class Meta:
        verbose_name = _("field change")
        verbose_name_plural = _("field changes")
        indexes = [models.Index(fields=["entity", "object_id", "changed_at"])]
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.entity}#{self.object_id}.{self.field}"
