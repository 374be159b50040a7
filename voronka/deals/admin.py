"""Deals in the admin. Every write is a deals service: changing the stage select is
``deal_move`` (the gates hold here too; the missing facts come back on the field), and win,
archive, reopen, correction, facts, contacts and payments are buttons on the change page,
each a small form over one service (see ``admin_actions``). The transition log is read-only.
"""

from __future__ import annotations

import copy
import datetime
from functools import partial

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminDateWidget
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.accounts.models import Role
from voronka.core.admin_base import ReadOnlyAdmin, ServiceForm, ServiceModelAdmin, is_writer
from voronka.core.numbers import parse_id
from voronka.crm.admin import owner_choices, visible_companies
from voronka.pipelines.models import CustomField, Pipeline, Stage
from voronka.pipelines.selectors import pipeline_list

from .admin_actions import DealActionsMixin
from .models import Deal, Transition
from .selectors import deal_exit_checklist, deal_list, deal_timeline, transition_list
from .services import deal_create, deal_move, deal_update
from .visibility import can_edit_deal, can_use_pipeline

UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
UPDATABLE = ("title", "budget", "owner", "company", "source", *UTM, "expected_close_date")
Kind = CustomField.Kind


# --- custom fields: one form field per definition of the deal's pipeline ----------------------
def custom_formfield(cf: CustomField) -> forms.Field:
    common = {"label": cf.name, "required": False}
    if cf.kind == Kind.CHOICE:
        return forms.ChoiceField(choices=[("", "---------"), *((c, c) for c in cf.choices)],
                                 **common)
    if cf.kind == Kind.BOOLEAN:
        return forms.NullBooleanField(**common)
    if cf.kind == Kind.DATE:
        return forms.DateField(widget=AdminDateWidget, **common)
    return forms.CharField(**common)  # text; number and money are parsed by the service


def custom_initial(cf: CustomField, stored):
    if stored is None:
        return None
    if cf.kind == Kind.DATE:
        return datetime.date.fromisoformat(stored)
    return stored if cf.kind == Kind.BOOLEAN else str(stored)


class DealForm(ServiceForm):
    budget = forms.CharField(label=capfirst(gettext_lazy("budget")), required=False,
                             help_text=gettext_lazy("Set from the first stage."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user, deal = self.request.user, self.instance
        if "owner" in self.fields:
            self.fields["owner"].queryset = owner_choices(user)
        if "company" in self.fields:
            self.fields["company"].queryset = visible_companies(user, deal.company_id)
        if deal.pk:
            self.initial["budget"] = format(deal.budget, "f")


class DealAddForm(DealForm):
    class Meta:
        model = Deal
        fields = ("pipeline", "title", "budget", "owner", "company", "source", *UTM,
                  "expected_close_date")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.request.user
        self.fields["pipeline"].queryset = Pipeline.objects.filter(
            pk__in=[p.pk for p in pipeline_list(user=user) if can_use_pipeline(user, p)])
        if "owner" in self.fields:
            self.fields["owner"].required = False  # empty: the user creating it


class DealChangeForm(DealForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    move_comment = forms.CharField(label=capfirst(gettext_lazy("comment on the move")),
                                   required=False, max_length=500)

    class Meta:
        model = Deal
        fields = ("title", "stage", "budget", "owner", "company", "source", *UTM,
                  "expected_close_date")

    custom_fields_defs: list[CustomField] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        deal = self.instance
        self.initial["version"] = deal.version
        if "stage" in self.fields:  # absent when the page is read only
            stage = self.fields["stage"]
            stage.queryset = Stage.objects.filter(pipeline_id=deal.pipeline_id).order_by(
                "position")
            stage.label_from_instance = lambda s: f"{s.position + 1}. {s.name}"
            stage.help_text = _("Moving forward needs the exit facts of the stages left "
                                "behind.")
            if not deal.is_open:
                stage.disabled = True
                stage.help_text = _("A closed deal keeps its stage; reopen it to move it.")
        for cf in self.custom_fields_defs:
            self.initial[f"cf_{cf.code}"] = custom_initial(cf, deal.custom_fields.get(cf.code))


class StageFilter(admin.SimpleListFilter):
    title = gettext_lazy("stage")
    parameter_name = "stage"

    def lookups(self, request, model_admin):
        stages = (Stage.objects.filter(pipeline__in=pipeline_list(user=request.user))
                  .select_related("pipeline").order_by("pipeline__position", "pipeline_id",
                                                       "position"))
        chosen = parse_id(request.GET.get("pipeline__id__exact"))
        if chosen:
            stages = stages.filter(pipeline_id=chosen)
        stages = list(stages)
        several = len({s.pipeline_id for s in stages}) > 1
        return [(str(s.pk), (f"{s.pipeline} · " if several else "") + f"{s.position + 1}. {s.name}")
                for s in stages]

    def queryset(self, request, queryset):
        value = parse_id(self.value())
        return queryset.filter(stage_id=value) if value else queryset


@admin.register(Deal)
class DealAdmin(DealActionsMixin, ServiceModelAdmin):
    change_form_template = "admin/deals/deal/change_form.html"
    list_display = ("title", "pipeline", "stage", "status", "budget", "owner", "company",
                    "stage_entered_at", "created_at")
    list_filter = (("pipeline", admin.RelatedOnlyFieldListFilter), StageFilter, "status",
                   ("owner", admin.RelatedOnlyFieldListFilter))
    search_fields = ("title", "company__name")
    list_select_related = ("pipeline", "stage", "owner", "company")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    autocomplete_fields = ("company",)
    service_error_field = "stage"
    refusal_message = gettext_lazy("You may not change this deal: a manager works on own "
                                   "deals, a marketer only reads.")
    service_field_aliases = {"to_stage": "stage"}

    def scoped_queryset(self, request):
        return deal_list(user=request.user)

    def has_add_permission(self, request) -> bool:
        return is_writer(request.user) and request.user.role in (Role.ADMIN, Role.HEAD,
                                                                 Role.MANAGER)

    def has_change_permission(self, request, obj=None) -> bool:
        return is_writer(request.user) and (obj is None or can_edit_deal(request.user, obj))

    # -- the form
    def custom_fields_of(self, obj: Deal) -> list[CustomField]:
        return list(CustomField.objects.filter(pipeline_id=obj.pipeline_id)
                    .order_by("position", "id"))

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ("pipeline", "title", "budget", "owner", "company",
                                       "expected_close_date")}),
                    (_("Source"), {"fields": ("source", *UTM)})]
        editable = self.has_change_permission(request, obj)
        main = ["title", "pipeline", "stage", "status", "budget", "owner", "company"]
        if editable:
            main += ["move_comment", "version"]
        sets = [(None, {"fields": main}),
                (_("Dates"), {"fields": ("expected_close_date", "created_at", "created_by",
                                         "stage_entered_at", "furthest_stage", "closed_at")})]
        if obj.status == Deal.Status.LOST:
            sets.append((_("Loss"), {"fields": ("loss_reason", "loss_comment")}))
        custom = self.custom_fields_of(obj)
        if custom:
            names = [f"cf_{cf.code}" for cf in custom] if editable else ["custom_values"]
            sets.append((_("Custom fields"), {"fields": names}))
        sets.append((_("Source"), {"fields": ("source", *UTM), "classes": ("collapse",)}))
        return sets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return () if request.user.role != Role.MANAGER else ("owner",)
        fixed = ("pipeline", "status", "created_at", "created_by", "stage_entered_at",
                 "furthest_stage", "closed_at", "loss_reason", "loss_comment", "custom_values")
        return fixed if request.user.role != Role.MANAGER else (*fixed, "owner")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = DealAddForm
        else:
            custom = self.custom_fields_of(obj)
            attrs = {f"cf_{cf.code}": custom_formfield(cf) for cf in custom}
            attrs["custom_fields_defs"] = custom
            kwargs["form"] = type("DealChangeForm", (DealChangeForm,), attrs)
        return super().get_form(request, obj, change=change, **kwargs)

    @admin.display(description=gettext_lazy("custom fields"))
    def custom_values(self, obj: Deal) -> str:
        names = {cf.code: cf.name for cf in self.custom_fields_of(obj)}
        return "; ".join(f"{names.get(code, code)}: {value}"
                         for code, value in (obj.custom_fields or {}).items()) or "—"

    # -- saving through the services
    def perform_add(self, request, form) -> Deal:
        data = form.cleaned_data
        return deal_create(
            actor=request.user, pipeline=data["pipeline"], title=data.get("title", ""),
            owner=data.get("owner"), budget=data.get("budget") or "0",
            company=data.get("company"), source=data.get("source", ""),
            utm={name: data.get(name, "") for name in UTM if data.get(name)},
            expected_close_date=data.get("expected_close_date"))

    def perform_change(self, request, obj: Deal, form) -> Deal:
        """Field changes, then the stage move: one save, rolled back whole if either fails."""
        data, deal = form.cleaned_data, copy.copy(obj)
        changes = {name: data[name] for name in form.changed_data if name in UPDATABLE}
        custom = {name[3:]: data[name] for name in form.changed_data if name.startswith("cf_")}
        if custom:
            changes["custom_fields"] = custom
        version = data["version"]
        if changes:
            deal = deal_update(deal=deal, actor=request.user, expected_version=version,
                               **changes)
            version = None  # deal_update handed back the new version
        if "stage" in form.changed_data:
            deal_move(deal=deal, to_stage=data["stage"], actor=request.user,
                      expected_version=version, comment=data.get("move_comment", ""))
        return deal

    def response_add(self, request, obj, post_url_continue=None):
        # A new deal is worked on at once (contacts, custom fields): open its page.
        if "_addanother" not in request.POST and "_popup" not in request.POST:
            request.POST = request.POST.copy()
            request.POST["_continue"] = "1"
        return super().response_add(request, obj, post_url_continue)

    # -- the change page: checklist, contacts, payments, facts, timeline, buttons
    def change_view(self, request, object_id, form_url="", extra_context=None):
        deal = self.get_object(request, object_id)
        user = request.user
        context = {
            # Computed when the page renders (after a refused save is rolled back).
            "checklist": partial(deal_exit_checklist, deal=deal) if deal.is_open else None,
            "timeline": partial(timeline_rows, user, deal),
            "deal_contacts": deal.deal_contacts.select_related("contact").order_by("id"),
            "payments": deal.payments.order_by("-paid_on", "-id"),
            "facts": deal.facts.select_related("requirement", "confirmed_by").order_by("id"),
            "deal_tools": self.tools(request, deal),
            "can_edit_deal": self.has_change_permission(request, deal),
            "activity_links": [
                (_("Add a task"), reverse("admin:activities_task_add") + f"?deal={deal.pk}"),
                (_("Add a note"), reverse("admin:activities_note_add") + f"?deal={deal.pk}"),
                (_("Log a call"), reverse("admin:activities_call_add") + f"?deal={deal.pk}"),
            ] if is_writer(user) and self.has_change_permission(request, deal) else [],
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)


def timeline_rows(user, deal: Deal) -> list[dict]:
    """The timeline as lines of text in the active language."""
    kinds = dict(Transition.Kind.choices)
    rows = []
    for entry in deal_timeline(user=user, deal=deal):
        s = entry.summary
        if entry.kind == "transition":
            text = f"{kinds.get(s['kind'], s['kind'])}: {s['from'] or '—'} → {s['to']}"
            text += "".join(f"; {v}" for v in (s["reason"], s["comment"]) if v)
            label = _("Stage")
        elif entry.kind in ("task", "task_done"):
            label = _("Task done") if entry.kind == "task_done" else _("Task")
            text = s["text"] + (f" — {s['result']}" if s.get("result") else "")
        elif entry.kind == "note":
            label, text = _("Note"), s["text"]
        elif entry.kind == "call":
            label = _("Call")
            text = _("%(phone)s, %(minutes)s min") % {
                "phone": s["phone"], "minutes": round(s["duration_seconds"] / 60, 1)}
        elif entry.kind == "payment":
            label = _("Payment")
            text = f"{s['amount']} ({s['paid_on']}) {s['reference']}".strip()
        elif entry.kind == "fact":
            label = _("Fact confirmed")
            text = s["fact"] + (f" — {s['comment']}" if s["comment"] else "")
        elif entry.kind == "automation":
            label, text = _("Automation"), f"{s['rule']}: {s['status_label']}"
        elif entry.kind == "email":
            label, text = _("E-mail"), f"{s['to']}: {s['subject']} ({s['status_label']})"
        else:
            label = _("Change")
            text = f"{s['field']}: {s['old'] or '—'} → {s['new'] or '—'}"
        rows.append({"at": entry.at, "user": entry.user, "label": label, "text": text})
    return rows


@admin.register(Transition)
class TransitionAdmin(ReadOnlyAdmin):
    list_display = ("at", "deal", "kind", "from_stage", "to_stage", "by", "owner",
                    "seconds_in_stage", "loss_reason")
    list_filter = ("kind", ("pipeline", admin.RelatedOnlyFieldListFilter),
                   ("by", admin.RelatedOnlyFieldListFilter),
                   ("owner", admin.RelatedOnlyFieldListFilter), "at")
    search_fields = ("deal__title",)
    date_hierarchy = "at"
    ordering = ("-at", "-id")
    list_select_related = ("deal", "from_stage", "to_stage", "by", "owner", "loss_reason")

    def scoped_queryset(self, request):
        # The selector already selects some relations, so Django would skip
        # list_select_related: name the rest here.
        return transition_list(user=request.user).select_related(*self.list_select_related)
