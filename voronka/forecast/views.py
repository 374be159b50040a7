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
from voronka.core.numbers import parse_id, parse_int
from voronka.web.views.common import staff_view, web_view

from . import learned, links, plans
from .form import min_closed, window_months
from .selectors import may_see_team, may_use_forecast, pipelines_for, prospect, subjects_for

MAX_MONTHS = 36


def _month(raw: str | None) -> datetime.date:
    try:
        return datetime.date.fromisoformat(f"{(raw or '').strip()[:7]}-01")
    except ValueError:
        return timezone.localdate().replace(day=1)


def _shift(month: datetime.date, by: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + by
    return datetime.date(index // 12, index % 12 + 1, 1)


def _field_labels() -> dict[str, str]:
    return {"revenue": _("Revenue target"), "wins": _("Won deals target"),
            "user": _("Manager"), "month": _("Month"), "team": _("Team")}


def _plan_rows(user: User, month: datetime.date, failed: tuple | None = None,
               errors_: dict | None = None, values: dict | None = None) -> list:
    """Per team: (team, rows); a row is the person (None: the whole team), their plan, and
    for the row whose save failed, the errors by field (with the field's label) and what was
    typed."""
    labels = _field_labels()
    existing = {(p.team_id, p.user_id): p for p in plans.plans_for_month(user=user, month=month)}
    out = []
    for team in plans.plannable_teams(user):
        people = [None, *User.objects.filter(team=team, is_active=True).exclude(
            role=Role.MARKETER).order_by("full_name", "email")]
        rows = []
        for person in people:
            key = (team.pk, person.pk if person else None)
            row = {"person": person, "plan": existing.get(key), "errors": {}, "values": None,
                   "other_errors": []}
            if failed == key:
                row["values"] = values
                for name, msgs in (errors_ or {}).items():
                    if name in ("revenue", "wins"):
                        row["errors"][name] = [(labels[name], m) for m in msgs]
                    else:
                        row["other_errors"] += [(labels.get(name, name), m) for m in msgs]
            rows.append(row)
        out.append((team, rows))
    return out


def _plans_page(request: HttpRequest, month: datetime.date, rows: list,
                status: int = 200) -> HttpResponse:
    return render(request, "forecast/plans.html", {
        "section": "forecast", "month": month, "rows": rows,
        "prev": _shift(month, -1), "next": _shift(month, 1),
        "months": plans.plan_months(user=request.user)}, status=status)


@staff_view
def plan_list(request: HttpRequest) -> HttpResponse:
    month = _month(request.GET.get("month") or request.POST.get("month"))
    if request.method == "POST":
        team = next((t for t in plans.plannable_teams(request.user)
                     if t.pk == parse_id(request.POST.get("team"))), None)
        if team is None:
            raise Http404
        user_id = parse_id(request.POST.get("user"))
        person = User.objects.filter(pk=user_id, team=team).first() if user_id else None
        if request.POST.get("user") and person is None:
            raise Http404  # not a row of the screen: never the team's plan instead
        revenue, wins = request.POST.get("revenue", ""), request.POST.get("wins", "0")
        try:
            plans.plan_set(actor=request.user, team=team, month=month, user=person,
                           revenue=revenue, wins=wins)
        except errors.ValidationError as exc:
            # At the field of the row that failed, with the field's name as people read it.
            rows = _plan_rows(request.user, month, (team.pk, person.pk if person else None),
                              exc.errors, {"revenue": revenue, "wins": wins})
            return _plans_page(request, month, rows, status=422)
        messages.success(request, _("Plan saved."))
        return redirect(f"{reverse('forecast:plans')}?month={month:%Y-%m}")
    return _plans_page(request, month, _plan_rows(request.user, month))


@require_POST
@staff_view
def plan_delete(request: HttpRequest, plan_id: int) -> HttpResponse:
    plans.plan_delete(actor=request.user, plan_id=plan_id)
    messages.success(request, _("Plan deleted."))
    return redirect(f"{reverse('forecast:plans')}?month={_month(request.POST.get('month')):%Y-%m}")


def _query_errors(request: HttpRequest, pipelines: list) -> tuple[dict, dict[str, str]]:
    """The screen's parameters, or what is wrong with them by field (an empty parameter is
    the default: the first pipeline, the whole team or oneself, the configured window)."""
    values: dict = {"pipeline": pipelines[0], "manager": None, "months": window_months(),
                    "seed": 1}
    problems: dict[str, str] = {}
    raw = {k: (request.GET.get(k) or "").strip() for k in ("pipeline", "manager", "months",
                                                             "seed")}
    if raw["pipeline"]:
        asked = parse_id(raw["pipeline"])
        pipeline = next((p for p in pipelines if p.pk == asked), None)
        if pipeline is None:
            problems["pipeline"] = _("Choose one of the pipelines offered.")
        else:
            values["pipeline"] = pipeline
    if raw["manager"]:
        values["manager"] = parse_id(raw["manager"])
        if values["manager"] is None:
            problems["manager"] = _("Choose one of the managers offered.")
    if raw["months"]:
        values["months"] = parse_int(raw["months"], minimum=1, maximum=MAX_MONTHS)
        if values["months"] is None:
            problems["months"] = _("Enter a whole number of months from 1 to %(max)s.") % {
                "max": MAX_MONTHS}
    if raw["seed"]:
        values["seed"] = parse_int(raw["seed"], minimum=1, maximum=2**31 - 1)
        if values["seed"] is None:
            problems["seed"] = _("Enter a whole number from 1 to %(max)s.") % {
                "max": 2**31 - 1}
    return values, problems


@require_GET
@web_view
def prospect_view(request: HttpRequest) -> HttpResponse:
    page: dict = {"section": "forecast", "pipelines": [],
                  "for_role": may_use_forecast(request.user)}
    pipelines = pipelines_for(request.user)
    if not pipelines:
        return render(request, "forecast/prospect.html", page)
    values, problems = _query_errors(request, pipelines)
    pipeline = values["pipeline"]
    team_view = may_see_team(request.user, pipeline)
    manager = values["manager"]
    if manager is None and not team_view:
        manager = request.user.pk
    page.update({"pipelines": pipelines, "pipeline": pipeline,
                 "subjects": subjects_for(request.user, pipeline), "team_view": team_view,
                 "manager": manager, "min_closed": min_closed(), "months": values["months"],
                 "seed": values["seed"]})
    if problems:
        page.update({"errors": problems, "months": request.GET.get("months", "")})
        return render(request, "forecast/prospect.html", page, status=400)
    data, lines = prospect(user=request.user, pipeline_id=pipeline.pk, owner_id=manager,
                           months=values["months"], seed=values["seed"])
    page.update({"lines": links.line_links(pipeline, lines, data.month, data.as_of),
                 "links": links.prospect_links(data), "p": data})
    return render(request, "forecast/prospect.html", page)


@web_view
def model_view(request: HttpRequest) -> HttpResponse:
    pipelines = pipelines_for(request.user)
    pipeline = next((p for p in pipelines if p.pk == parse_id(request.GET.get("pipeline")
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
        "for_role": may_use_forecast(request.user),
        "links": links.model_links(model) if model else {},
        "can_train": bool(pipeline and may_see_team(request.user, pipeline)),
        "min_deals": learned.MIN_DEALS, "holdout": int(learned.HOLDOUT * 100)})



