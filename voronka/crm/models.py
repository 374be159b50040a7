from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Company(models.Model):
    name = models.CharField(_("name"), max_length=300)
    inn = models.CharField(_("tax number (INN)"), max_length=12, blank=True, default="")
    website = models.CharField(_("website"), max_length=300, blank=True, default="")
    address = models.CharField(_("address"), max_length=500, blank=True, default="")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="companies", verbose_name=_("owner"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    full_name = models.CharField(_("full name"), max_length=300)
    position = models.CharField(_("position"), max_length=200, blank=True, default="")
    company = models.ForeignKey(
        Company, on_delete=models.SET_NULL, null=True, blank=True, related_name="contacts",
        verbose_name=_("company"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="contacts", verbose_name=_("owner"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name


class ContactPhone(models.Model):
    """A phone in E.164; services normalise before saving, capture matches on it."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("phone"), max_length=20, db_index=True)
    label = models.CharField(_("label"), max_length=50, blank=True, default="")

    class Meta:
        verbose_name = _("phone")
        verbose_name_plural = _("phones")
        constraints = [
            models.UniqueConstraint(fields=["contact", "number"], name="contactphone_unique"),
        ]

    def __str__(self) -> str:
        return self.number


class ContactEmail(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="emails")
    email = models.CharField(_("e-mail"), max_length=254, db_index=True)
    label = models.CharField(_("label"), max_length=50, blank=True, default="")

    class Meta:
        verbose_name = _("e-mail")
        verbose_name_plural = _("e-mails")
        constraints = [
            models.UniqueConstraint(fields=["contact", "email"], name="contactemail_unique"),
        ]

    def __str__(self) -> str:
        return self.email


class ContactRole(models.TextChoices):
    """A contact's part in a deal (who decides, who influences…)."""

    DECISION_MAKER = "decision_maker", _("Decision maker")
    INFLUENCER = "influencer", _("Influencer")
    USER = "user", _("User")
    GATEKEEPER = "gatekeeper", _("Gatekeeper")
    OTHER = "other", _("Other")
