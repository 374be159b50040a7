"""Forms of the deal page. They parse and present; the services decide what is allowed."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Role, User
from voronka.accounts.selectors import user_list
from voronka.activities.models import Call, TaskKind
from voronka.crm.models import ContactRole
from voronka.deals.models import Deal
from voronka.pipelines.models import CustomField

from .base import PageForm
from .fields import DateInput, custom_formfield, custom_value
from .pickers import company_picker, contact_picker

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def _owner_choices(user: User, deal: Deal) -> list[tuple[str, str]]:
    """The people a deal may go to, and always its present owner (who may have left the team
    or the company): a choice missing from the select would be saved over the owner."""
    people = user_list(user=user).filter(role__in=[Role.MANAGER, Role.HEAD, Role.ADMIN])
    choices = [(str(u.pk), str(u)) for u in people]
    if str(deal.owner_id) not in {pk for pk, _label in choices}:
        choices.append((str(deal.owner_id), str(deal.owner)))
    return choices


class DealForm(PageForm):
    """The deal's own fields and its custom fields (``cf_<code>``)."""

    title = forms.CharField(label=_("Title"), max_length=300)
    budget = forms.CharField(label=_("Budget"), required=False,
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    owner = forms.ChoiceField(label=_("Owner"))
    company = forms.ChoiceField(label=_("Company"), required=False)  # a picker, see __init__
    source = forms.CharField(label=_("Source"), required=False, max_length=100)
    expected_close_date = forms.DateField(label=_("Expected close date"), required=False,
                                          widget=DateInput())
    utm_source = forms.CharField(label="utm_source", required=False, max_length=200)
    utm_medium = forms.CharField(label="utm_medium", required=False, max_length=200)
    utm_campaign = forms.CharField(label="utm_campaign", required=False, max_length=200)
    utm_term = forms.CharField(label="utm_term", required=False, max_length=200)
    utm_content = forms.CharField(label="utm_content", required=False, max_length=200)

    def __init__(self, *args: Any, deal: Deal, user: User, custom: list[CustomField],
                 **kwargs: Any) -> None:
        initial = {
            "title": deal.title, "budget": f"{deal.budget:f}", "owner": str(deal.owner_id),
            "company": str(deal.company_id or ""), "source": deal.source,
            "expected_close_date": deal.expected_close_date,
            **{f"utm_{k}": getattr(deal, f"utm_{k}")
               for k in ("source", "medium", "campaign", "term", "content")},
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.custom = custom
        # Choices are assigned whole: appending to ``field.choices`` never reached the
        # widget (it holds its own copy), so a value outside them rendered as the first
        # option and a save wrote that back.
        self.fields["owner"].choices = _owner_choices(user, deal)
        if user.role == Role.MANAGER:
            self.fields["owner"].disabled = True
        self.fields["company"] = company_picker(user, current=deal.company)
        values = deal.custom_fields or {}
        for cf in custom:
            self.fields[f"cf_{cf.code}"] = custom_formfield(cf, values.get(cf.code))

    def changes(self) -> dict[str, Any]:
        """Only what the user changed, in the shape deal_update takes (ids stay ids here)."""
        out: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        by_code = {cf.code: cf for cf in self.custom}
        for name in self.changed_data:
            value = self.cleaned_data.get(name)
            if name.startswith("cf_"):
                code = name[3:]
                custom[code] = custom_value(by_code[code], value)
            else:
                out[name] = value
        if custom:
            out["custom_fields"] = custom
        return out


class DealCreateForm(PageForm):
    pipeline = forms.ChoiceField(label=_("Pipeline"))
    title = forms.CharField(label=_("Title"), max_length=300)
    budget = forms.CharField(label=_("Budget"), required=False,
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    company = forms.ChoiceField(label=_("Company"), required=False)  # a picker, see __init__
    new_company_name = forms.CharField(label=_("…or a new company"), required=False,
                                       max_length=300)
    contact_name = forms.CharField(label=_("Contact person"), required=False, max_length=300)
    contact_phone = forms.CharField(
        label=_("Phone"), required=False, max_length=40,
        help_text=_("A phone already in your contacts links that contact to the deal."))
    source = forms.CharField(label=_("Source"), required=False, max_length=100)

    def __init__(self, *args: Any, user: User, pipelines, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pipeline"].choices = [(str(p.pk), str(p)) for p in pipelines]
        self.fields["company"] = company_picker(user)


class TaskForm(PageForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=TaskKind.choices,
                             initial=TaskKind.CALL)
    text = forms.CharField(label=_("What to agree on"), max_length=2000, widget=forms.Textarea(
        attrs={"rows": 2, "placeholder": _("Agree on a meeting with the decision maker…")}))
    due_at = forms.DateTimeField(label=_("Due"), input_formats=DATETIME_FORMATS,
                                 widget=DateTimeInput())
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The wording advice (seed 003 §7) updates as the user types.
        self.fields["text"].widget.attrs.update({
            # POST: a long text in a GET's address was refused by the server (414).
            "hx-post": reverse("web:task_wording"), "hx-trigger": "input changed delay:250ms",
            "hx-target": "#wording", "hx-swap": "outerHTML"})
        people = user_list(user=user).exclude(role=Role.MARKETER)
        self.fields["assignee"].choices = [("", _("Deal owner"))] + [
            (str(u.pk), str(u)) for u in people]
        if not self.is_bound:
            tomorrow = timezone.localtime() + datetime.timedelta(days=1)
            self.initial.setdefault("due_at", tomorrow.replace(hour=10, minute=0, second=0,
                                                               microsecond=0))


class NoteForm(PageForm):
    text = forms.CharField(label=_("Note"), max_length=10000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class PaymentForm(PageForm):
    amount = forms.CharField(label=_("Amount"), widget=forms.TextInput(
        attrs={"inputmode": "decimal"}))
    paid_on = forms.DateField(label=_("Paid on"), required=False, widget=DateInput())
    reference = forms.CharField(label=_("Reference (invoice, order)"), required=False,
                                max_length=200)


class CallForm(PageForm):
    direction = forms.ChoiceField(label=_("Direction"), choices=Call.Direction.choices,
                                  initial=Call.Direction.OUTBOUND)
    phone = forms.CharField(label=_("Phone"), max_length=40)
    started_at = forms.DateTimeField(label=_("Started"), input_formats=DATETIME_FORMATS,
                                     widget=DateTimeInput())
    minutes = forms.IntegerField(label=_("Minutes"), min_value=0, max_value=24 * 60,
                                 initial=0)
    seconds = forms.IntegerField(label=_("Seconds"), min_value=0, max_value=59, initial=0,
                                 required=False)
    answered = forms.BooleanField(label=_("Answered"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("started_at", timezone.localtime().replace(
                second=0, microsecond=0))

    def duration_seconds(self) -> int:
        return self.cleaned_data["minutes"] * 60 + (self.cleaned_data.get("seconds") or 0)


class ContactAttachForm(PageForm):
    contact = forms.ChoiceField(label=_("Contact"), required=False)  # a picker, see __init__
    new_contact_name = forms.CharField(label=_("…or a new contact"), required=False,
                                       max_length=300)
    new_contact_phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    contact_role = forms.ChoiceField(label=_("Role in the deal"), choices=ContactRole.choices,
                                     initial=ContactRole.DECISION_MAKER)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"] = contact_picker(user)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.has_error("contact"):
            return data
        if not data.get("contact") and not (data.get("new_contact_name") or "").strip():
            raise forms.ValidationError(_("Choose a contact or enter a new one."))
        return data


class CompanySetForm(PageForm):
    company = forms.ChoiceField(label=_("Company"), required=False)  # a picker, see __init__
    new_company_name = forms.CharField(label=_("…or a new company"), required=False,
                                       max_length=300)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["company"] = company_picker(user)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.has_error("company"):
            return data
        if not data.get("company") and not (data.get("new_company_name") or "").strip():
            raise forms.ValidationError(_("Choose a company or enter a new one."))
        return data
