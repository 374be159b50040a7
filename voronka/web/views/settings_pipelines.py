"""Settings: the pipeline editor (stages, goals, time limits, exit requirements, loss reasons,
custom fields) with the funnel linter's findings shown as the user edits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from voronka.accounts.selectors import team_list
from voronka.core import errors
from voronka.core.numbers import parse_int
from voronka.deals.gates import requirement_label
from voronka.deals.visibility import can_manage_pipeline
from voronka.pipelines.lint import pipeline_lint, pipeline_lint_preview
from voronka.pipelines.models import Pipeline
from voronka.pipelines.selectors import (
    custom_field_get,
    loss_reason_get,
    pipeline_get,
    pipeline_manage_list,
    requirement_get,
    stage_deal_counts,
    stage_get,
)
from voronka.pipelines.services import (
    custom_field_create,
    custom_field_update,
    loss_reason_create,
    loss_reason_update,
    pipeline_create,
    pipeline_update,
    requirement_create,
    requirement_delete,
    stage_create,
    stage_delete,
    stage_reorder,
    stage_update,
)

from ..forms.settings import (
    CustomFieldEditForm,
    CustomFieldForm,
    PipelineForm,
    PipelineRenameForm,
    ReasonForm,
    RequirementForm,
    StageForm,
)
from .common import apply_errors, staff_view


def _managed(request: HttpRequest, pipeline_id: Any) -> Pipeline:
    """A pipeline the user may change; others' pipelines answer 404 like unknown ones."""
    pipeline = pipeline_get(user=request.user, pk=pipeline_id)
    if not can_manage_pipeline(request.user, pipeline):
        raise errors.NotFound("pipeline")
    return pipeline


def _editor(request: HttpRequest, pipeline: Pipeline, status: int = 200,
            **forms: Any) -> HttpResponse:
    stages = list(pipeline.stages.order_by("position", "id").prefetch_related(
        "requirements__custom_field"))
    deal_counts = stage_deal_counts(pipeline=pipeline)
    for stage in stages:
        stage.open_deals = deal_counts.get(stage.pk, 0)
        stage.edit_form = forms.get(f"stage_{stage.pk}") or StageForm(initial={
            "name": stage.name, "goal": stage.goal, "time_limit_hours": stage.time_limit_hours,
            "probability": stage.probability}, prefix=f"s{stage.pk}")
        stage.req_form = forms.get(f"req_{stage.pk}") or RequirementForm(
            pipeline=pipeline, prefix=f"r{stage.pk}")
        stage.req_list = [(req, requirement_label(req)) for req in stage.requirements.all()]
    return render(request, "web/settings/pipeline.html", {
        "section": "settings", "pipeline": pipeline, "stages": stages,
        "stages_hold_deals": any(stage.open_deals for stage in stages),
        "findings": pipeline_lint(pipeline),
        "new_stage_form": forms.get("new_stage") or StageForm(prefix="new"),
        "reason_form": forms.get("reason") or ReasonForm(),
        "field_form": forms.get("field") or CustomFieldForm(),
        "rename_form": forms.get("rename") or PipelineRenameForm(initial={"name": pipeline.name}),
        "reasons": [(r, forms.get(f"reason_{r.pk}") or ReasonForm(
            initial={"name": r.name}, prefix=f"lr{r.pk}")) for r in pipeline.loss_reasons.all()],
        "custom_fields": [(f, forms.get(f"field_{f.pk}") or CustomFieldEditForm(
            initial={"name": f.name, "choices": "\n".join(f.choices)}, prefix=f"cf{f.pk}"))
            for f in pipeline.custom_fields.all()],
    }, status=status)


def _saved(request: HttpRequest, pipeline: Pipeline, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("web:pipeline_edit", pipeline_id=pipeline.pk)


def _submit(request: HttpRequest, pipeline: Pipeline, form: Any, save: Callable[[], Any],
            done: str, slot: str, aliases: dict[str, str] | None = None) -> HttpResponse:
    """One editor form: valid and saved → back to the editor with ``done``; otherwise the
    editor again with this form (under ``slot``) showing its errors, 422."""
    if form.is_valid():
        try:
            save()
        except errors.ValidationError as exc:
            apply_errors(form, exc, aliases)
        else:
            return _saved(request, pipeline, done)
    return _editor(request, pipeline, status=422, **{slot: form})


def _stage_fields(form: StageForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {"name": data["name"], "goal": data["goal"],
            "time_limit_hours": data["time_limit_hours"],
            "probability": data["probability"] or 0}


@require_GET
@staff_view
def settings_home(request: HttpRequest) -> HttpResponse:
    pipelines = pipeline_manage_list(user=request.user)
    return render(request, "web/settings/home.html", {
        "section": "settings", "pipelines": [(p, pipeline_lint(p)) for p in pipelines]})


@require_http_methods(["GET", "POST"])
@staff_view
def pipeline_new(request: HttpRequest) -> HttpResponse:
    teams = team_list(user=request.user)
    form = PipelineForm(request.POST or None, teams=teams)
    if request.method == "POST" and form.is_valid():
        try:
            team = teams.get(pk=int(form.cleaned_data["team"]))
            pipeline = pipeline_create(actor=request.user, team=team,
                                       name=form.cleaned_data["name"],
                                       loss_reasons=form.reason_list())
        except errors.ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _saved(request, pipeline, _("The pipeline is created: add its stages."))
    return render(request, "web/settings/pipeline_new.html",
                  {"section": "settings", "form": form},
                  status=422 if request.method == "POST" else 200)


@require_GET
@staff_view
def pipeline_edit(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    return _editor(request, _managed(request, pipeline_id))


@require_POST
@staff_view
def pipeline_rename(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    pipeline = _managed(request, pipeline_id)
    form = PipelineRenameForm(request.POST)
    return _submit(request, pipeline, form, lambda: pipeline_update(
        actor=request.user, pipeline=pipeline, name=form.cleaned_data["name"]),
        _("The pipeline is renamed."), "rename")


@require_GET
@staff_view
def pipeline_lint_view(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    """The linter's findings for the pipeline as it would be with the name being typed."""
    pipeline = _managed(request, pipeline_id)
    renames = {}
    stage_id = parse_int(request.GET.get("stage"))
    if stage_id:
        prefix = f"s{stage_id}-name"
        renames[stage_id] = request.GET.get(prefix, request.GET.get("name", ""))
    findings = pipeline_lint_preview(pipeline, renames=renames,
                                     new_stage=request.GET.get("new-name", ""))
    return render(request, "web/settings/_findings.html", {"findings": findings})


@require_POST
@staff_view
def stage_add(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    pipeline = _managed(request, pipeline_id)
    form = StageForm(request.POST, prefix="new")
    return _submit(request, pipeline, form, lambda: stage_create(
        actor=request.user, pipeline=pipeline, **_stage_fields(form)),
        _("The stage is added."), "new_stage")


@require_POST
@staff_view
def stage_edit(request: HttpRequest, stage_id: int) -> HttpResponse:
    stage = stage_get(user=request.user, pk=stage_id)
    pipeline = _managed(request, stage.pipeline_id)
    form = StageForm(request.POST, prefix=f"s{stage.pk}")
    return _submit(request, pipeline, form, lambda: stage_update(
        actor=request.user, stage=stage, **_stage_fields(form)),
        _("The stage is saved."), f"stage_{stage.pk}")


@require_POST
@staff_view
def stage_remove(request: HttpRequest, stage_id: int) -> HttpResponse:
    stage = stage_get(user=request.user, pk=stage_id)
    pipeline = _managed(request, stage.pipeline_id)
    try:
        stage_delete(actor=request.user, stage=stage)
    except errors.ValidationError as exc:
        messages.error(request, exc.message.split(": ", 1)[-1])
        return redirect("web:pipeline_edit", pipeline_id=pipeline.pk)
    return _saved(request, pipeline, _("The stage is deleted."))


@require_POST
@staff_view
def stage_order(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    """New order of the stages: the full list (drag and drop) or one stage up/down."""
    pipeline = _managed(request, pipeline_id)
    ids = list(pipeline.stages.order_by("position", "id").values_list("pk", flat=True))
    moving, direction = parse_int(request.POST.get("stage")), request.POST.get("direction")
    if moving in ids and direction in ("up", "down"):
        i = ids.index(moving)
        j = i - 1 if direction == "up" else i + 1
        if 0 <= j < len(ids):
            ids[i], ids[j] = ids[j], ids[i]
    elif request.POST.getlist("order"):
        ids = [parse_int(v) or 0 for v in request.POST.getlist("order")]
    try:
        stage_reorder(actor=request.user, pipeline=pipeline, stage_ids=ids)
    except errors.ValidationError as exc:
        messages.error(request, exc.message)
        return redirect("web:pipeline_edit", pipeline_id=pipeline.pk)
    return _saved(request, pipeline, _("The order is saved."))


@require_POST
@staff_view
def requirement_add(request: HttpRequest, stage_id: int) -> HttpResponse:
    stage = stage_get(user=request.user, pk=stage_id)
    pipeline = _managed(request, stage.pipeline_id)
    form = RequirementForm(request.POST, pipeline=pipeline, prefix=f"r{stage.pk}")
    return _submit(request, pipeline, form, lambda: requirement_create(
        actor=request.user, stage=stage, **form.service_kwargs()),
        _("The exit fact is added."), f"req_{stage.pk}", {"custom_field": "field_name"})


@require_POST
@staff_view
def requirement_remove(request: HttpRequest, requirement_id: int) -> HttpResponse:
    requirement = requirement_get(user=request.user, pk=requirement_id)
    pipeline = _managed(request, requirement.stage.pipeline_id)
    requirement_delete(actor=request.user, requirement=requirement)
    return _saved(request, pipeline, _("The exit fact is removed."))


@require_POST
@staff_view
def reason_add(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    pipeline = _managed(request, pipeline_id)
    form = ReasonForm(request.POST)
    return _submit(request, pipeline, form, lambda: loss_reason_create(
        actor=request.user, pipeline=pipeline, name=form.cleaned_data["name"]),
        _("The loss reason is added."), "reason")


@require_POST
@staff_view
def field_add(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    pipeline = _managed(request, pipeline_id)
    form = CustomFieldForm(request.POST)
    return _submit(request, pipeline, form, lambda: custom_field_create(
        actor=request.user, pipeline=pipeline, name=form.cleaned_data["name"],
        kind=form.cleaned_data["kind"], choices=form.choice_list()),
        _("The field is added."), "field", {"code": "name"})


@require_POST
@staff_view
def reason_edit(request: HttpRequest, reason_id: int) -> HttpResponse:
    """Rename a loss reason, or retire / restore it (``active`` = 0 / 1)."""
    reason = loss_reason_get(user=request.user, pk=reason_id)
    pipeline = _managed(request, reason.pipeline_id)
    if request.POST.get("active") in ("0", "1"):
        active = request.POST["active"] == "1"
        loss_reason_update(actor=request.user, reason=reason, is_active=active)
        return _saved(request, pipeline, _("The loss reason is offered again.") if active
                      else _("The loss reason is retired: no longer offered when archiving."))
    form = ReasonForm(request.POST, prefix=f"lr{reason.pk}")
    return _submit(request, pipeline, form, lambda: loss_reason_update(
        actor=request.user, reason=reason, name=form.cleaned_data["name"]),
        _("The loss reason is saved."), f"reason_{reason.pk}")


@require_POST
@staff_view
def field_edit(request: HttpRequest, field_id: int) -> HttpResponse:
    field = custom_field_get(user=request.user, pk=field_id)
    pipeline = _managed(request, field.pipeline_id)
    form = CustomFieldEditForm(request.POST, prefix=f"cf{field.pk}")
    return _submit(request, pipeline, form, lambda: custom_field_update(
        actor=request.user, field=field, name=form.cleaned_data["name"],
        choices=form.choice_list()), _("The field is saved."), f"field_{field.pk}")
