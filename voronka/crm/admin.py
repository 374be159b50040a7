"""Companies and contacts in the admin: written by the crm services (phones end up in E.164,
e-mails lower-cased), listed by the scoped selectors."""

from __future__ import annotations

import copy

from django import forms
from django.contrib import admin
from django.db.models import Q, QuerySet
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy

from voronka.accounts.models import Role, User
from voronka.accounts.selectors import user_list
from voronka.core.admin_base import ServiceForm, ServiceModelAdmin, lines
from voronka.core.normalize import InvalidValue, normalize_phone

from .models import Company, Contact
from .selectors import company_list, contact_list
from .services import (
    COMPANY_FIELDS,
    CONTACT_FIELDS,
    company_create,
    company_update,
    contact_create,
    contact_update,
)


def may_assign_owner(user: User) -> bool:
    """Handing a client to someone else is a head's or an administrator's call."""
    return user.is_admin or user.is_head


def owner_choices(user: User) -> QuerySet[User]:
    return user_list(user=user).exclude(role=Role.MARKETER)


def visible_companies(user: User, current_id: int | None = None) -> QuerySet[Company]:
    """The companies ``user`` may pick, plus the one already chosen (kept when re-saving)."""
    return Company.objects.filter(Q(pk__in=company_list(user=user).values("pk"))
                                  | Q(pk=current_id)).order_by("name")


class ScopedChoicesForm(ServiceForm):
    """Pickers offer only what the user may see: the service trusts the objects it gets."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.request.user
        if "owner" in self.fields:
            self.fields["owner"].queryset = owner_choices(user)
        if "company" in self.fields:
            self.fields["company"].queryset = visible_companies(
                user, getattr(self.instance, "company_id", None))


class CompanyForm(ScopedChoicesForm):
    class Meta:
        model = Company
        fields = COMPANY_FIELDS


class ContactForm(ScopedChoicesForm):
    phones = forms.CharField(
        label=capfirst(gettext_lazy("phones")), required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One per line, in any usual form: “8 (916) 123-45-67” is kept "
                               "as +79161234567."))
    emails = forms.CharField(label=capfirst(gettext_lazy("e-mails")), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=gettext_lazy("One per line."))

    class Meta:
        model = Contact
        fields = CONTACT_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["phones"] = "\n".join(p.number for p in self.instance.phones.all())
            self.initial["emails"] = "\n".join(e.email for e in self.instance.emails.all())


class CrmAdmin(ServiceModelAdmin):
    autocomplete_fields = ("company",)

    def get_readonly_fields(self, request, obj=None):
        readonly = ("created_at",) if obj is not None else ()
        return readonly if may_assign_owner(request.user) else (*readonly, "owner")

    def owner_of(self, request, form) -> User | None:
        return form.cleaned_data.get("owner") if may_assign_owner(request.user) else None

    def changes(self, form, names) -> dict:
        return {name: form.cleaned_data[name] for name in form.changed_data if name in names}


@admin.register(Company)
class CompanyAdmin(CrmAdmin):
    form = CompanyForm
    autocomplete_fields = ()
    list_display = ("name", "inn", "website", "owner", "created_at")
    list_filter = (("owner", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("name", "inn")
    ordering = ("name",)

    def scoped_queryset(self, request):
        return company_list(user=request.user)

    def get_fields(self, request, obj=None):
        return (*COMPANY_FIELDS, *(("created_at",) if obj is not None else ()))

    def perform_add(self, request, form) -> Company:
        data = form.cleaned_data
        return company_create(actor=request.user, name=data["name"], inn=data.get("inn", ""),
                              website=data.get("website", ""), address=data.get("address", ""),
                              owner=self.owner_of(request, form))

    def perform_change(self, request, obj: Company, form) -> Company:
        return company_update(company=copy.copy(obj), actor=request.user,
                              **self.changes(form, COMPANY_FIELDS))


@admin.register(Contact)
class ContactAdmin(CrmAdmin):
    form = ContactForm
    list_display = ("full_name", "phone_list", "email_list", "company", "owner", "created_at")
    list_filter = (("owner", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("full_name", "phones__number", "emails__email", "company__name")
    ordering = ("full_name",)
    list_select_related = ("company", "owner")

    def scoped_queryset(self, request):
        return contact_list(user=request.user)

    def get_fields(self, request, obj=None):
        return ("full_name", "position", "company", "owner", "phones", "emails",
                *(("created_at",) if obj is not None else ()))

    def get_search_results(self, request, queryset, search_term):
        qs, duplicates = super().get_search_results(request, queryset, search_term)
        try:  # "8 916 123-45-67" finds the contact stored as +79161234567
            number = normalize_phone(search_term)
        except InvalidValue:
            return qs, duplicates
        return qs | queryset.filter(phones__number=number), True

    @admin.display(description=gettext_lazy("phones"))
    def phone_list(self, obj: Contact) -> str:
        return ", ".join(p.number for p in obj.phones.all())

    @admin.display(description=gettext_lazy("e-mails"))
    def email_list(self, obj: Contact) -> str:
        return ", ".join(e.email for e in obj.emails.all())

    # Shown instead of the text areas when the page is read only.
    phones = phone_list
    emails = email_list

    def perform_add(self, request, form) -> Contact:
        data = form.cleaned_data
        return contact_create(actor=request.user, full_name=data["full_name"],
                              phones=lines(data["phones"]), emails=lines(data["emails"]),
                              position=data.get("position", ""), company=data.get("company"),
                              owner=self.owner_of(request, form))

    def perform_change(self, request, obj: Contact, form) -> Contact:
        data = form.cleaned_data
        extra = {}
        if "phones" in form.changed_data:
            extra["phones"] = lines(data["phones"])
        if "emails" in form.changed_data:
            extra["emails"] = lines(data["emails"])
        if not extra and not self.changes(form, CONTACT_FIELDS):
            return obj
        return contact_update(contact=copy.copy(obj), actor=request.user, **extra,
                              **self.changes(form, CONTACT_FIELDS))

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("owner", request.user.pk)
        return initial

