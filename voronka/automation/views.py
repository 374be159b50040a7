"""The no-code automation settings: rules per pipeline, the rule editor, the run log.

Same permission as the pipeline's settings (an administrator, or the head of the pipeline's
team); everything else answers 404. Views parse, call one service or selector, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from voronka.activities.models import TaskKind
from voronka.core import errors
from voronka.pipelines.models import Pipeline
from voronka.web.views.common import staff_view

from . import actions, conditions, forms, selectors, services
from .models import Rule, Trigger
from .triggers import STAGE_TRIGGERS


@staff_view
def automation_home(request: HttpRequest) -> HttpResponse:
    pipelines = list(selectors.pipelines_managed(user=request.user).annotate(
        rule_count=Count("rules")))
    return render(request, "automation/home.html", {"section": "automation",
                                                     "pipelines": pipelines})


@staff_view
def pipeline_rules(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    pipeline = selectors.pipeline_for_settings(user=request.user, pk=pipeline_id)
    rules = selectors.rule_list_with_last_run(user=request.user, pipeline=pipeline)
    for rule in rules:
        rule.summary = [actions.describe(a) for a in rule.actions]
    return render(request, "automation/rules.html", {
        "section": "automation", "pipeline": pipeline, "rules": rules})


def _choices(pipeline: Pipeline) -> dict[str, Any]:
    from voronka.integrations.selectors import email_templates_for, webhooks_for

    catalogue = conditions.field_catalogue(pipeline)
    settable = [spec for code, spec in catalogue.items()
                if code in actions.SETTABLE or spec.custom is not None]
    return {
        "triggers": Trigger.choices, "stage_triggers": list(STAGE_TRIGGERS),
        "stages": list(pipeline.stages.order_by("position", "id")),
        "fields": list(catalogue.values()), "settable": settable,
        "ops": list(conditions.OPS.items()), "no_value_ops": sorted(conditions.NO_VALUE),
        "matches": Rule.Match.choices, "types": list(actions.TYPES.items()),
        "task_kinds": TaskKind.choices, "assignees": list(actions.ASSIGNEES.items()),
        "recipients": list(actions.RECIPIENTS.items()),
        "notify_to": list(actions.NOTIFY_TO.items()),
        "users": actions.team_users(pipeline),
        "templates": email_templates_for(team_id=pipeline.team_id),
        "subscriptions": list(webhooks_for(team_id=pipeline.team_id)),
        "units": [("minutes", _("minutes")), ("hours", _("hours")), ("days", _("days"))],
        "variables": _variables(),
    }


def _variables() -> list[str]:
    from voronka.integrations.rendering import VARIABLES

    return ["{{ " + name + " }}" for name in VARIABLES]


def _editor(request: HttpRequest, pipeline: Pipeline, rule: Rule | None) -> HttpResponse:
    top_errors: dict[str, list[str]] = {}
    if request.method == "POST":
        state = forms.parse(request.POST)
        if "_add_condition" in request.POST:
            state["conditions"].append({"field": "budget", "op": "gte", "value": ""})
        elif "_add_action" in request.POST:
            kind = request.POST.get("_new_action_type")
            state["actions"].append({"type": kind if kind in actions.TYPES else "create_task",
                                     "assignee": "owner", "due_value": "1",
                                     "due_unit": "days"})
        elif "_refresh" not in request.POST:
            spec = forms.to_spec(state)
            try:
                if rule is None:
                    rule = services.rule_create(actor=request.user, pipeline=pipeline, **spec)
                else:
                    services.rule_update(actor=request.user, rule=rule, **spec)
            except errors.ValidationError as exc:
                top_errors = forms.place_errors(state, exc.errors)
            else:
                messages.success(request, _("The rule is saved."))
                return redirect("automation:pipeline_rules", pipeline_id=pipeline.pk)
    else:
        state = forms.initial(rule)
    status = 422 if top_errors or any(r.get("errors") for r in
                                      state["conditions"] + state["actions"]) else 200
    return render(request, "automation/rule_form.html", {
        "section": "automation", "pipeline": pipeline, "rule": rule, "state": state,
        "errors": top_errors, **_choices(pipeline)}, status=status)


@require_http_methods(["GET", "POST"])
@staff_view
def rule_new(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    pipeline = selectors.pipeline_for_settings(user=request.user, pk=pipeline_id)
    return _editor(request, pipeline, None)


@require_http_methods(["GET", "POST"])
@staff_view
def rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = selectors.rule_get(user=request.user, pk=rule_id)
    return _editor(request, rule.pipeline, rule)


@require_POST
@staff_view
def rule_toggle(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = selectors.rule_get(user=request.user, pk=rule_id)
    services.rule_set_active(actor=request.user, rule=rule, is_active=not rule.is_active)
    messages.success(request, _("The rule is on.") if rule.is_active else _("The rule is off."))
    return redirect("automation:pipeline_rules", pipeline_id=rule.pipeline_id)


@require_POST
@staff_view
def rule_remove(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = selectors.rule_get(user=request.user, pk=rule_id)
    pipeline_id = rule.pipeline_id
    services.rule_delete(actor=request.user, rule=rule)
    messages.success(request, _("The rule is deleted."))
    return redirect("automation:pipeline_rules", pipeline_id=pipeline_id)


@staff_view
def rule_runs(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = selectors.rule_get(user=request.user, pk=rule_id)
    return render(request, "automation/runs.html", {
        "section": "automation", "rule": rule, "pipeline": rule.pipeline,
        "runs": selectors.rule_runs(user=request.user, rule=rule, limit=200)})
