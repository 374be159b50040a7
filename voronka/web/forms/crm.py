"""Forms for contacts and companies."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.crm.models import Company, Contact

from .base import PageForm
from .pickers import company_picker


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").replace(",", "\n").splitlines() if line.strip()]


class DuplicateCheck:
    """A new contact or company is checked against those the user already sees; after a
    refusal the form offers "Save as a new one" (two people may share an office phone)."""

    def add_duplicate_field(self) -> None:
        self.fields["allow_duplicate"] = forms.BooleanField(
            label=_("Save as a new one"), required=False, widget=forms.HiddenInput)

    def offer_duplicate(self) -> None:
        self.fields["allow_duplicate"].widget = forms.CheckboxInput()

    def allow_duplicate(self) -> bool:
        return bool(self.cleaned_data.get("allow_duplicate"))


class ContactForm(DuplicateCheck, PageForm):
    full_name = forms.CharField(label=_("Full name"), max_length=300)
    position = forms.CharField(label=_("Position"), required=False, max_length=200)
    company = forms.ChoiceField(label=_("Company"), required=False)  # a picker, see __init__
    phones = forms.CharField(label=_("Phones"), required=False, widget=forms.Textarea(
        attrs={"rows": 2}), help_text=_("One per line; stored as +7…"))
    emails = forms.CharField(label=_("E-mails"), required=False, widget=forms.Textarea(
        attrs={"rows": 2}), help_text=_("One per line"))

    def __init__(self, *args: Any, user: User, contact: Contact | None = None,
                 **kwargs: Any) -> None:
        if contact is not None:
            kwargs.setdefault("initial", {
                "full_name": contact.full_name, "position": contact.position,
                "company": str(contact.company_id or ""),
                "phones": "\n".join(p.number for p in contact.phones.all()),
                "emails": "\n".join(e.email for e in contact.emails.all())})
        super().__init__(*args, **kwargs)
        # A picker: the first companies, the contact's own always, search for the others.
        self.fields["company"] = company_picker(
            user, current=contact.company if contact is not None else None)
        if contact is None:
            self.add_duplicate_field()

    def phone_list(self) -> list[str]:
        return _lines(self.cleaned_data.get("phones", ""))

    def email_list(self) -> list[str]:
        return _lines(self.cleaned_data.get("emails", ""))


class CompanyForm(DuplicateCheck, PageForm):
    name = forms.CharField(label=_("Name"), max_length=300)
    inn = forms.CharField(label=_("INN"), required=False, max_length=12)
    website = forms.CharField(label=_("Website"), required=False, max_length=300)
    address = forms.CharField(label=_("Address"), required=False, max_length=500)

    def __init__(self, *args: Any, company: Company | None = None, **kwargs: Any) -> None:
        if company is not None:
            kwargs.setdefault("initial", {"name": company.name, "inn": company.inn,
                                          "website": company.website,
                                          "address": company.address})
        super().__init__(*args, **kwargs)
        if company is None:
            self.add_duplicate_field()

    def company_fields(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in ("name", "inn", "website", "address")}
