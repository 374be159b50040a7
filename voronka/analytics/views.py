"""The Reports section: parse the filters, call one report selector, render or export."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from voronka.core.errors import NotFound, ValidationError
from voronka.core.numbers import parse_id
from voronka.web.views.common import web_view

from . import charts, export
from .drill import drill
from .dynamics import dynamics_report
from .forms import ReportFilterForm
from .funnel import funnel_report
from .losses import losses_report
from .managers import managers_report
from .metrics import METRICS
from .query import NO_SOURCE, context
from .selectors import report_managers, report_pipelines, report_sources, report_teams
from .shapes import MEANINGS, NAMES, TEMPLATES, picture
from .timing import timing_report

REPORTS = ("funnel", "time", "managers", "losses", "dynamics")


def _form(request: HttpRequest) -> tuple[ReportFilterForm, list]:
    user = request.user
    pipelines = list(report_pipelines(user=user))
    # The sources offered are those of a pipeline the user may see: the form refuses any other
    # later, but its menu is drawn first.
    asked = parse_id(request.GET.get("pipeline"))
    pipeline = next((p for p in pipelines if p.pk == asked), pipelines[0] if pipelines else None)
    sources = report_sources(user=user, pipeline=pipeline) if pipeline else []
    form = ReportFilterForm(request.GET, pipelines=pipelines, teams=list(report_teams(user=user)),
                            managers=list(report_managers(user=user)), sources=sources)
    return form, pipelines


def _query(form: ReportFilterForm, **extra) -> str:
    params = form.filters().as_query()
    params["by"] = form.cleaned_data["by"]
    params.update({k: str(v) for k, v in extra.items()})
    return urlencode(params)


def _linker(form: ReportFilterForm, report: str, mode: str | None = None
            ) -> Callable[..., str]:
    """cell (, owner) → the URL of the deals behind a figure (and back to ``report``)."""
    base = reverse("analytics:deals")

    def link(cell: str, owner: int | None = None) -> str:
        extra = {"cell": cell, "from_report": report}
        if mode:
            extra["mode"] = mode
        if owner:
            extra["manager"] = owner
        return f"{base}?{_query(form, **extra)}"
    link.do_not_call_in_templates = True  # the templates pass it to {% drill %}
    return link


def _compute(name: str, request: HttpRequest, form: ReportFilterForm) -> dict:
    user, filters = request.user, form.filters()
    link = _linker(form, name)
    if name == "funnel":
        ctx, funnel = funnel_report(user=user, filters=filters)
        return {"ctx": ctx, "funnel": funnel, "chart": charts.funnel_chart(funnel, link),
                "tables": export.funnel_tables(ctx, funnel)}
    if name == "time":
        ctx, timing = timing_report(user=user, filters=filters)
        flow = _linker(form, name, "flow")
        return {"ctx": ctx, "timing": timing, "chart": charts.timing_chart(timing, flow),
                "cycle_chart": charts.cycle_chart(timing.cycle, flow), "flow_link": flow,
                "tables": export.timing_tables(ctx, timing)}
    if name == "managers":
        ctx, report = managers_report(user=user, filters=filters)
        return {"ctx": ctx, "report": report, "chart": charts.managers_chart(
            ctx, report.rows, link), "tables": export.managers_tables(ctx, report)}
    if name == "losses":
        ctx, losses = losses_report(user=user, filters=filters)
        return {"ctx": ctx, "losses": losses, "chart": charts.losses_chart(losses, link),
                "tables": export.losses_tables(ctx, losses)}
    ctx, dyn = dynamics_report(user=user, filters=filters, granularity=form.cleaned_data["by"])
    return {"ctx": ctx, "dynamics": dyn, "chart": charts.dynamics_chart(dyn, link),
            "tables": export.dynamics_tables(ctx, dyn)}


@web_view
def reports_home(request: HttpRequest) -> HttpResponse:
    return redirect("analytics:report", name="funnel")


@web_view
def report_view(request: HttpRequest, name: str) -> HttpResponse:
    if name not in REPORTS:
        raise NotFound(_("No such report."))
    form, pipelines = _form(request)
    page = {"section": "reports", "tab": name, "form": form, "pipelines": pipelines,
            "metrics": METRICS, "no_source": NO_SOURCE}
    if not pipelines:
        return render(request, "analytics/empty.html", page)
    if not form.is_valid():
        return render(request, f"analytics/{name}.html", page, status=400)
    page.update(_compute(name, request, form))
    page["chart_height"] = 90 + 40 * (len(page["ctx"].stages) + 1)
    page["query"] = _query(form)
    page["link"] = _linker(form, name)
    if name == "managers":
        page["shapes"] = [(code, NAMES[code], MEANINGS[code], picture(widths))
                          for code, widths in TEMPLATES.items()]
    return render(request, f"analytics/{name}.html", page)


@web_view
def export_view(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    if name not in REPORTS or fmt not in ("csv", "xlsx"):
        raise NotFound(_("No such report."))
    form, pipelines = _form(request)
    if not pipelines or not form.is_valid():
        return HttpResponse(
            "\n".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items())
            or _("No pipeline to report on."), status=400, content_type="text/plain")
    tables = _compute(name, request, form)["tables"]
    f = form.filters()
    filename = f"voronka-{name}-{f.date_from.isoformat()}-{f.date_to.isoformat()}.{fmt}"
    if fmt == "csv":
        response = HttpResponse(export.to_csv(tables), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(export.to_xlsx(tables), content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@web_view
def deals_view(request: HttpRequest) -> HttpResponse:
    """The deals (or moves) behind one figure of a report."""
    form, pipelines = _form(request)
    page = {"section": "reports", "form": form, "pipelines": pipelines}
    if not pipelines:
        return render(request, "analytics/empty.html", page)
    if not form.is_valid():
        return render(request, "analytics/deals.html", page, status=400)
    cell = request.GET.get("cell", "")
    try:
        result = drill(user=request.user, ctx=context(request.user, form.filters()), cell=cell)
    except ValidationError as exc:
        page["cell_error"] = " ".join(str(m) for m in exc.errors.get("cell", []) or [exc])
        return render(request, "analytics/deals.html", page, status=400)
    paginator = Paginator(result.queryset, 50)
    report = request.GET.get("from_report")
    report = report if report in REPORTS else "funnel"
    page.update({"drill": result, "page": paginator.get_page(request.GET.get("page")),
                 "query": _query(form, cell=cell, from_report=report),
                 "back": reverse("analytics:report", kwargs={"name": report})
                 + "?" + _query(form)})
    return render(request, "analytics/deals.html", page)
