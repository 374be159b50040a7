"""Screens of plans and the prospective funnel: parse, call one service or selector, render."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from voronka.accounts.models import Role, User
from voronka.core import errors
from voronka.core.numbers import parse_id
from voronka.web.views.common import staff_view, web_view

from . import learned, links, plans
from .form import min_closed, window_months
from .selectors import may_see_team, pipelines_for, prospect, subjects_for


def _month(raw: str | None) -> datetime.date:
    try:
        return datetime.date.fromisoformat(f"{(raw or '').strip()[:7]}-01")
    except ValueError:
        return timezone.localdate().replace(day=1)


def _int(raw: str | None) -> int | None:
    return parse_id(raw)


def _shift(month: datetime.date, by: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + by
    return datetime.date(index // 12, index % 12 + 1, 1)


@staff_view
def plan_list(request: HttpRequest) -> HttpResponse:
    month = _month(request.GET.get("month") or request.POST.get("month"))
    if request.method == "POST":
        team = next((t for t in plans.plannable_teams(request.user)
                     if t.pk == _int(request.POST.get("team"))), None)
        if team is None:
            raise Http404
        user_id = _int(request.POST.get("user"))
        person = User.objects.filter(pk=user_id, team=team).first() if user_id else None
        try:
            plans.plan_set(actor=request.user, team=team, month=month, user=person,
                           revenue=request.POST.get("revenue", ""),
                           wins=request.POST.get("wins", "0"))
            messages.success(request, _("Plan saved."))
        except errors.ValidationError as exc:
            for field, msgs in exc.errors.items():
                for msg in msgs:
                    messages.error(request, f"{field}: {msg}")
        return redirect(f"{reverse('forecast:plans')}?month={month:%Y-%m}")
    existing = {(p.team_id, p.user_id): p for p in plans.plans_for_month(user=request.user,
                                                                          month=month)}
    rows = []
    for team in plans.plannable_teams(request.user):
        people = list(User.objects.filter(team=team, is_active=True).exclude(
            role=Role.MARKETER).order_by("full_name", "email"))
        rows.append((team, [(None, existing.get((team.pk, None)))] + [
            (p, existing.get((team.pk, p.pk))) for p in people]))
    return render(request, "forecast/plans.html", {
        "section": "forecast", "month": month, "rows": rows,
        "prev": _shift(month, -1), "next": _shift(month, 1),
        "months": plans.plan_months(user=request.user)})


@require_POST
@staff_view
def plan_delete(request: HttpRequest, plan_id: int) -> HttpResponse:
    plans.plan_delete(actor=request.user, plan_id=plan_id)
    messages.success(request, _("Plan deleted."))
    return redirect(f"{reverse('forecast:plans')}?month={_month(request.POST.get('month')):%Y-%m}")


@require_GET
@web_view
def prospect_view(request: HttpRequest) -> HttpResponse:
    pipelines = pipelines_for(request.user)
    if not pipelines:
        return render(request, "forecast/prospect.html", {"section": "forecast",
                                                          "pipelines": []})
    pipeline = next((p for p in pipelines if p.pk == _int(request.GET.get("pipeline"))),
                    pipelines[0])
    subjects = subjects_for(request.user, pipeline)
    team_view = may_see_team(request.user, pipeline)
    manager = _int(request.GET.get("manager"))
    if manager is None and not team_view:
        manager = request.user.pk
    months = min(max(_int(request.GET.get("months")) or window_months(), 1), 36)
    seed = _int(request.GET.get("seed")) or 1
    data, lines = prospect(user=request.user, pipeline_id=pipeline.pk, owner_id=manager,
                    months=months, seed=seed)
    return render(request, "forecast/prospect.html", {
        "section": "forecast", "pipelines": pipelines, "pipeline": pipeline,
        "lines": links.line_links(pipeline, lines, data.month, data.as_of),
        "links": links.prospect_links(data),
        "subjects": subjects, "team_view": team_view, "p": data, "months": months,
        "seed": seed, "manager": manager, "min_closed": min_closed()})


@web_view
def model_view(request: HttpRequest) -> HttpResponse:
    pipelines = pipelines_for(request.user)
    pipeline = next((p for p in pipelines if p.pk == _int(request.GET.get("pipeline")
                                                            or request.POST.get("pipeline"))),
                    pipelines[0] if pipelines else None)
    if request.method == "POST":
        if pipeline is None or not may_see_team(request.user, pipeline):
            raise Http404
        result = learned.train(pipeline)
        if result.model is None:
            messages.error(request, _("Not trained: %(reason)s") % {"reason": result.reason})
        else:
            messages.success(request, _("Model trained."))
        return redirect(f"{reverse('forecast:model')}?pipeline={pipeline.pk}")
    model = learned.latest(pipeline.pk) if pipeline else None
    return render(request, "forecast/model.html", {
        "section": "forecast", "pipelines": pipelines, "pipeline": pipeline, "model": model,
        "links": links.model_links(model) if model else {},
        "can_train": bool(pipeline and may_see_team(request.user, pipeline)),
        "min_deals": learned.MIN_DEALS, "holdout": int(learned.HOLDOUT * 100)})



