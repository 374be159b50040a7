"""Tasks, notes and calls in the admin: created by the activities services, a task completed by
``task_complete`` with its result (a done task of a kind can be the fact a stage waits for)."""

from __future__ import annotations

import copy
import datetime

from django import forms
from django.contrib import admin
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.core.admin_base import ServiceForm, ServiceModelAdmin, is_writer
from voronka.crm.admin import owner_choices, visible_companies
from voronka.crm.selectors import company_list, contact_list
from voronka.deals.selectors import deal_list

from .models import Call, Note, Task
from .selectors import call_list, task_list
from .services import call_log, note_create, task_complete, task_create

SUBJECTS = ("deal", "contact", "company")


def visible_notes(user) -> QuerySet[Note]:
    """Notes on what the user may see, and the user's own notes."""
    if user.is_admin:
        return Note.objects.all()
    return Note.objects.filter(
        Q(author_id=user.pk) | Q(deal__in=deal_list(user=user).values("pk"))
        | Q(contact__in=contact_list(user=user).values("pk"))
        | Q(company__in=company_list(user=user).values("pk")))


class SubjectForm(ServiceForm):
    """Deal, contact and company pickers offer only what the user may see."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.request.user
        querysets = {"deal": deal_list(user=user), "contact": contact_list(user=user),
                     "company": visible_companies(user), "assignee": owner_choices(user)}
        for name, qs in querysets.items():
            if name in self.fields:
                self.fields[name].queryset = qs


class ActivityAdmin(ServiceModelAdmin):
    autocomplete_fields = SUBJECTS

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # written once; there is no edit service


# --- tasks ----------------------------------------------------------------------------------
class TaskAddForm(SubjectForm):
    class Meta:
        model = Task
        fields = (*SUBJECTS, "kind", "text", "assignee", "due_at")
        help_texts = {"text": gettext_lazy("Aim at a new agreement: “Договориться о встрече…”."),
                      "assignee": gettext_lazy("Empty: the deal's owner, or you.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].required = False


class TaskCompleteForm(ServiceForm):
    done = forms.BooleanField(label=capfirst(gettext_lazy("mark as done")), required=False)
    result = forms.CharField(label=capfirst(gettext_lazy("result")), required=False,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=gettext_lazy("What was agreed."))

    class Meta:
        model = Task
        fields = ()


@admin.register(Task)
class TaskAdmin(ActivityAdmin):
    list_display = ("short_text", "kind", "deal", "assignee", "due_at", "is_done", "done_at")
    list_filter = ("is_done", "kind", ("assignee", admin.RelatedOnlyFieldListFilter), "due_at")
    search_fields = ("text", "deal__title")
    ordering = ("is_done", "due_at", "id")
    list_select_related = ("deal", "assignee")

    def scoped_queryset(self, request):
        return task_list(user=request.user)

    @admin.display(description=gettext_lazy("text"), ordering="text")
    def short_text(self, obj: Task) -> str:
        return obj.text[:80]

    def has_change_permission(self, request, obj=None) -> bool:
        return is_writer(request.user) and (obj is None or not obj.is_done)

    def get_fields(self, request, obj=None):
        if obj is None:
            return (*SUBJECTS, "kind", "text", "assignee", "due_at")
        shown = (*SUBJECTS, "kind", "text", "assignee", "due_at", "created_at")
        return (*shown, "done", "result") if not obj.is_done else (*shown, "is_done", "done_at",
                                                                       "result")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return (*SUBJECTS, "kind", "text", "assignee", "due_at", "created_at", "is_done",
                "done_at")

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = TaskAddForm if obj is None else TaskCompleteForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("due_at", timezone.localtime() + datetime.timedelta(days=1))
        return initial

    def perform_add(self, request, form) -> Task:
        data = form.cleaned_data
        return task_create(actor=request.user, text=data.get("text", ""),
                           due_at=data.get("due_at"), assignee=data.get("assignee"),
                           kind=data.get("kind"), deal=data.get("deal"),
                           contact=data.get("contact"), company=data.get("company"))

    def perform_change(self, request, obj: Task, form) -> Task:
        data = form.cleaned_data
        if not data.get("done"):
            if data.get("result"):
                form.add_error("done", _("Tick “mark as done” to record the result."))
            return obj
        return task_complete(task=copy.copy(obj), actor=request.user, result=data["result"])


# --- notes ----------------------------------------------------------------------------------
class NoteForm(SubjectForm):
    class Meta:
        model = Note
        fields = (*SUBJECTS, "text")


@admin.register(Note)
class NoteAdmin(ActivityAdmin):
    form = NoteForm
    list_display = ("short_text", "deal", "contact", "company", "author", "created_at")
    list_filter = (("author", admin.RelatedOnlyFieldListFilter), "created_at")
    search_fields = ("text", "deal__title")
    ordering = ("-created_at", "-id")
    list_select_related = ("deal", "contact", "company", "author")

    def scoped_queryset(self, request):
        return visible_notes(request.user)

    def get_fields(self, request, obj=None):
        return (*SUBJECTS, "text") if obj is None else (*SUBJECTS, "text", "author",
                                                        "created_at")

    @admin.display(description=gettext_lazy("text"), ordering="text")
    def short_text(self, obj: Note) -> str:
        return obj.text[:80]

    def perform_add(self, request, form) -> Note:
        data = form.cleaned_data
        return note_create(actor=request.user, text=data.get("text", ""), deal=data.get("deal"),
                           contact=data.get("contact"), company=data.get("company"))


# --- calls ----------------------------------------------------------------------------------
class CallForm(SubjectForm):
    # Wider than the stored E.164 number: "+7 (916) 123-45-67" is typed, the service
    # normalises it.
    phone = forms.CharField(label=capfirst(gettext_lazy("phone")), max_length=40)
    recording_url = forms.URLField(label=capfirst(gettext_lazy("recording")), required=False,
                                   max_length=1000, assume_scheme="https")

    class Meta:
        model = Call
        fields = ("direction", "phone", "started_at", "duration_seconds", "answered",
                  "recording_url", "deal", "contact")


@admin.register(Call)
class CallAdmin(ActivityAdmin):
    form = CallForm
    autocomplete_fields = ("deal", "contact")
    list_display = ("started_at", "direction", "phone", "minutes", "answered", "user", "deal",
                    "stage")
    list_filter = ("direction", "answered", ("user", admin.RelatedOnlyFieldListFilter),
                   "started_at")
    search_fields = ("phone", "deal__title")
    ordering = ("-started_at", "-id")
    list_select_related = ("user", "deal", "stage")

    def scoped_queryset(self, request):
        return call_list(user=request.user)

    def get_fields(self, request, obj=None):
        fields = ("direction", "phone", "started_at", "duration_seconds", "answered",
                  "recording_url", "deal", "contact")
        return fields if obj is None else (*fields, "user", "stage")

    @admin.display(description=gettext_lazy("minutes"), ordering="duration_seconds")
    def minutes(self, obj: Call) -> str:
        # Calls are measured in minutes, not counts (seed 003).
        return f"{obj.duration_seconds / 60:.1f}"

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("started_at", timezone.localtime())
        return initial

    def perform_add(self, request, form) -> Call:
        data = form.cleaned_data
        return call_log(actor=request.user, direction=data.get("direction", ""),
                        phone=data.get("phone", ""), started_at=data.get("started_at"),
                        duration_seconds=data.get("duration_seconds") or 0,
                        answered=bool(data.get("answered")),
                        recording_url=data.get("recording_url") or "", deal=data.get("deal"),
                        contact=data.get("contact"))
