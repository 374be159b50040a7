"""Pipelines in the admin. Stages, exit requirements, loss reasons and custom fields are
written by the pipelines services (only an administrator or the team's head may change a
pipeline; the services say so too); the change page shows the funnel linter's findings."""

from __future__ import annotations

import copy
from functools import partial

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.accounts.models import Team
from voronka.accounts.selectors import team_list
from voronka.activities.models import TaskKind
from voronka.core.admin_base import (
    ServiceForm,
    ServiceInline,
    ServiceInlineForm,
    ServiceModelAdmin,
    choices_with_blank,
)
from voronka.deals.gates import BUILTIN_FIELDS, requirement_label
from voronka.deals.visibility import can_manage_pipeline

from .lint import pipeline_lint
from .models import CustomField, LossReason, Pipeline, Stage, StageRequirement
from .selectors import pipeline_list
from .services import (
    custom_field_create,
    loss_reason_create,
    pipeline_create,
    requirement_create,
    requirement_delete,
    stage_create,
    stage_delete,
    stage_reorder,
    stage_update,
)

STAGE_FIELDS = ("name", "goal", "time_limit_hours", "probability")


def text_lines(text: str | None) -> list[str]:
    """One item per line (names may hold commas)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def may_add_pipelines(user) -> bool:
    return user.is_admin or (user.is_head and user.team_id is not None)


def lint_texts(pipeline: Pipeline) -> list[str]:
    return [finding.text() for finding in pipeline_lint(pipeline)]


# --- stages ---------------------------------------------------------------------------------
class StageRowForm(ServiceInlineForm):
    order = forms.IntegerField(label=capfirst(gettext_lazy("order")), min_value=1, required=False,
                               widget=forms.NumberInput(attrs={"style": "width:4em"}))

    class Meta:
        model = Stage
        fields = ("order", *STAGE_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["order"] = self.instance.position + 1


class StageInline(ServiceInline):
    model = Stage
    form = StageRowForm
    fields = ("order", *STAGE_FIELDS, "exit_requirements")
    readonly_fields = ("exit_requirements",)
    show_change_link = True
    ordering = ("position", "id")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("requirements__custom_field")

    def can_manage(self, request, parent) -> bool:
        return can_manage_pipeline(request.user, parent)

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is not None and self.can_manage(request, obj)

    has_delete_permission = has_change_permission

    @admin.display(description=gettext_lazy("exit requirements"))
    def exit_requirements(self, obj: Stage) -> str:
        if not obj.pk:
            return ""
        return "; ".join(requirement_label(r) for r in obj.requirements.all()) or "—"

    def change_row(self, request, obj: Stage, form) -> Stage:
        changes = {n: form.cleaned_data[n] for n in form.changed_data if n in STAGE_FIELDS}
        if not changes:
            return obj
        return stage_update(actor=request.user, stage=copy.copy(obj), **changes)

    def add_row(self, request, parent: Pipeline, form) -> Stage:
        data = form.cleaned_data
        return stage_create(actor=request.user, pipeline=parent, name=data.get("name", ""),
                            goal=data.get("goal", ""),
                            time_limit_hours=data.get("time_limit_hours"),
                            probability=data.get("probability") or 0)

    def delete_row(self, request, obj: Stage) -> None:
        stage_delete(actor=request.user, stage=obj)

    def after_rows(self, request, formset) -> None:
        """Put the stages in the order typed in the "order" column (new ones last)."""
        rows = []
        for index, form in enumerate(formset.forms):
            stage = form.result if form.instance.pk is None else form.instance
            if stage is None or form.cleaned_data.get("DELETE"):
                continue
            order = form.cleaned_data.get("order")
            rows.append((order if order is not None else 10**6, index, stage.pk))
        wanted = [pk for _order, _index, pk in sorted(rows)]
        current = list(Stage.objects.filter(pipeline=formset.instance)
                       .order_by("position", "id").values_list("pk", flat=True))
        if wanted and wanted != current:
            stage_reorder(actor=request.user, pipeline=formset.instance, stage_ids=wanted)


# --- loss reasons and custom fields: added here, kept afterwards -----------------------------
class LossReasonInline(ServiceInline):
    model = LossReason
    fields = ("name", "is_active")
    readonly_fields = ("is_active",)

    def can_manage(self, request, parent) -> bool:
        return can_manage_pipeline(request.user, parent)

    def add_row(self, request, parent: Pipeline, form) -> LossReason:
        return loss_reason_create(actor=request.user, pipeline=parent,
                                  name=form.cleaned_data.get("name", ""))


class CustomFieldRowForm(ServiceInlineForm):
    code = forms.CharField(label=capfirst(gettext_lazy("code")), required=False, max_length=60,
                           help_text=gettext_lazy("Made from the name when empty."))
    choices = forms.CharField(label=capfirst(gettext_lazy("choices")), required=False,
                              widget=forms.Textarea(attrs={"rows": 2, "cols": 30}),
                              help_text=gettext_lazy("For a choice field: one per line."))

    class Meta:
        model = CustomField
        fields = ("name", "kind", "code", "choices")


class CustomFieldInline(ServiceInline):
    model = CustomField
    form = CustomFieldRowForm
    fields = ("name", "kind", "code", "choices")

    def can_manage(self, request, parent) -> bool:
        return can_manage_pipeline(request.user, parent)

    def add_row(self, request, parent: Pipeline, form) -> CustomField:
        data = form.cleaned_data
        return custom_field_create(actor=request.user, pipeline=parent,
                                   name=data.get("name", ""), kind=data.get("kind", ""),
                                   code=data.get("code", ""),
                                   choices=text_lines(data.get("choices")))


# --- pipelines ------------------------------------------------------------------------------
class PipelineAddForm(ServiceForm):
    stages = forms.CharField(
        label=capfirst(gettext_lazy("stages")), required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("One stage per line, in order. Name a stage by what the manager "
                               "achieves on it (“Согласовываю ТЗ”); 4 to 7 stages."))
    loss_reasons = forms.CharField(label=capfirst(gettext_lazy("loss reasons")), required=False,
                                   widget=forms.Textarea(attrs={"rows": 4}),
                                   help_text=gettext_lazy("One per line."))

    class Meta:
        model = Pipeline
        fields = ("team", "name")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.request.user
        self.fields["team"].queryset = Team.objects.all() if user.is_admin else team_list(
            user=user)


class PipelineChangeForm(ServiceForm):
    class Meta:
        model = Pipeline
        fields = ()


@admin.register(Pipeline)
class PipelineAdmin(ServiceModelAdmin):
    refusal_message = gettext_lazy("Only an administrator or the team's head can change this "
                                   "pipeline.")
    list_display = ("name", "team", "stage_count", "findings", "is_active")
    list_filter = (("team", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("name",)
    ordering = ("position", "id")

    def scoped_queryset(self, request):
        return pipeline_list(user=request.user).annotate(stages_total=Count("stages"))

    @admin.display(description=gettext_lazy("stages"), ordering="stages_total")
    def stage_count(self, obj: Pipeline) -> int:
        return obj.stages_total

    @admin.display(description=gettext_lazy("funnel check"))
    def findings(self, obj: Pipeline) -> str:
        count = len(pipeline_lint(obj))
        return _("%(n)d findings") % {"n": count} if count else _("no findings")

    def has_add_permission(self, request) -> bool:
        return may_add_pipelines(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is None:
            return may_add_pipelines(request.user)
        return can_manage_pipeline(request.user, obj)

    def get_fields(self, request, obj=None):
        return ("team", "name", "stages", "loss_reasons") if obj is None else (
            "name", "team", "is_active")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("name", "team", "is_active")

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = PipelineAddForm if obj is None else PipelineChangeForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_inlines(self, request, obj=None):
        # Stages and the rest are added once the pipeline exists (the add page names it).
        return [] if obj is None else [StageInline, LossReasonInline, CustomFieldInline]

    def perform_add(self, request, form) -> Pipeline:
        data = form.cleaned_data
        return pipeline_create(actor=request.user, team=data["team"], name=data["name"],
                               stages=[{"name": n} for n in text_lines(data.get("stages"))],
                               loss_reasons=text_lines(data.get("loss_reasons")))

    def perform_change(self, request, obj: Pipeline, form) -> Pipeline:
        return obj  # the inline rows carry the changes, each through its service

    def response_add(self, request, obj, post_url_continue=None):
        # Next come the exit requirements and custom fields: open the pipeline's page.
        if "_addanother" not in request.POST and "_popup" not in request.POST:
            request.POST = request.POST.copy()
            request.POST["_continue"] = "1"
        return super().response_add(request, obj, post_url_continue)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        pipeline = self.get_object(request, object_id)
        context = {"lint_findings": partial(lint_texts, pipeline), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, context)


# --- a stage's own page: its exit requirements -------------------------------------------------
class RequirementRowForm(ServiceInlineForm):
    field_name = forms.ChoiceField(
        label=capfirst(gettext_lazy("built-in field")), required=False,
        choices=choices_with_blank((name, label) for name, (label, _t) in BUILTIN_FIELDS.items()))
    task_kind = forms.ChoiceField(label=capfirst(gettext_lazy("task kind")), required=False,
                                  choices=choices_with_blank(TaskKind.choices))

    class Meta:
        model = StageRequirement
        fields = ("kind", "field_name", "custom_field", "task_kind", "payment_share",
                  "fact_name")


class RequirementInline(ServiceInline):
    model = StageRequirement
    form = RequirementRowForm
    fields = ("requirement", "kind", "field_name", "custom_field", "task_kind",
              "payment_share", "fact_name")
    readonly_fields = ("requirement",)
    ordering = ("position", "id")

    def can_manage(self, request, parent) -> bool:
        return can_manage_pipeline(request.user, parent.pipeline)

    def has_delete_permission(self, request, obj=None) -> bool:
        return obj is not None and self.can_manage(request, obj)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if "custom_field" in formset.form.base_fields:
            # The form class is built for this request, so narrowing it is safe.
            formset.form.base_fields["custom_field"].queryset = CustomField.objects.filter(
                pipeline_id=obj.pipeline_id if obj else None)
        return formset

    @admin.display(description=gettext_lazy("requirement"))
    def requirement(self, obj: StageRequirement) -> str:
        return requirement_label(obj) if obj.pk else ""

    def add_row(self, request, parent: Stage, form) -> StageRequirement:
        data = form.cleaned_data
        return requirement_create(
            actor=request.user, stage=parent, kind=data.get("kind", ""),
            field_name=data.get("field_name", ""), custom_field=data.get("custom_field"),
            task_kind=data.get("task_kind", ""), payment_share=data.get("payment_share"),
            fact_name=data.get("fact_name", ""))

    def delete_row(self, request, obj: StageRequirement) -> None:
        requirement_delete(actor=request.user, requirement=obj)


class StageForm(ServiceForm):
    class Meta:
        model = Stage
        fields = STAGE_FIELDS


@admin.register(Stage)
class StageAdmin(ServiceModelAdmin):
    """Reached from a pipeline's stage rows; not listed on the admin's index."""

    refusal_message = PipelineAdmin.refusal_message

    form = StageForm
    list_display = ("name", "pipeline", "position", "goal")
    list_filter = (("pipeline", admin.RelatedOnlyFieldListFilter),)
    fields = ("pipeline", "position", *STAGE_FIELDS)
    readonly_fields = ("pipeline", "position")
    inlines = [RequirementInline]
    ordering = ("pipeline__position", "pipeline_id", "position")

    def scoped_queryset(self, request):
        return Stage.objects.filter(pipeline__in=pipeline_list(user=request.user)) \
            .select_related("pipeline")

    def get_model_perms(self, request):
        return {}

    def has_add_permission(self, request) -> bool:
        return False  # stages are added on the pipeline's page

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is None:
            return may_add_pipelines(request.user)
        return can_manage_pipeline(request.user, obj.pipeline)

    def perform_change(self, request, obj: Stage, form) -> Stage:
        changes = {n: form.cleaned_data[n] for n in form.changed_data if n in STAGE_FIELDS}
        if not changes:
            return obj
        return stage_update(actor=request.user, stage=copy.copy(obj), **changes)
