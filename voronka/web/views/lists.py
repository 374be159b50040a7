"""Lists: deals (sortable, filterable, CSV export), contacts and companies with their pages."""

from __future__ import annotations

import csv
import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from voronka.accounts.selectors import team_choices, user_choices
from voronka.analytics.export import Table, to_xlsx
from voronka.core import cells, errors
from voronka.core.numbers import parse_int
from voronka.crm.selectors import company_get, contact_get
from voronka.crm.selectors import company_list as company_select
from voronka.crm.selectors import contact_list as contact_select
from voronka.crm.services import company_create, company_update, contact_create, contact_update
from voronka.deals.board import BoardFilters
from voronka.deals.models import Deal
from voronka.deals.selectors import deal_list as deal_select
from voronka.pipelines.selectors import pipeline_list, stage_list

from ..forms.crm import CompanyForm, ContactForm
from .common import apply_errors, web_view, writer_view

PER_PAGE = 50
SORTS = {"title": "title", "budget": "budget", "stage": "stage__position",
         "owner": "owner__full_name", "created": "created_at", "status": "status",
         "company": "company__name"}


STATUSES = {*Deal.Status.values, "closed", "all"}


def _moment(raw: str | None) -> datetime.date | datetime.datetime | None:
    """A day (YYYY-MM-DD) or an instant (ISO 8601, local time unless it says otherwise);
    anything else is no filter."""
    raw = (raw or "").strip()[:40]
    try:
        if len(raw) == 10:
            return datetime.date.fromisoformat(raw)
        moment = datetime.datetime.fromisoformat(raw)
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def list_filters(query) -> dict:
    """The deals list's own filters beyond the board's (status, pipeline, stages, closing)."""
    status = query.get("status", "open")
    return {"status": status if status in STATUSES else "open",
            "pipeline_id": parse_int(query.get("pipeline")),
            "stage_id": parse_int(query.get("stage")),
            "onwards": query.get("onwards") == "1",
            "reached_stage_id": parse_int(query.get("reached")),
            "closed_from": _moment(query.get("closed_from")),
            "closed_to": _moment(query.get("closed_to"))}


def _deals(request: HttpRequest):
    """The filtered, sorted deals of the list and its export, with what the page shows."""
    filters = BoardFilters.from_query(request.GET)
    extra = list_filters(request.GET)
    sort = request.GET.get("sort", "-created")
    key = sort.lstrip("-")
    if key not in SORTS:
        sort, key = "-created", "created"
    order = ("-" if sort.startswith("-") else "") + SORTS[key]
    status = extra["status"]
    qs = deal_select(user=request.user, **{**extra, "status": None if status == "all" else status},
                     owner_id=filters.owner_id, team_id=filters.team_id, source=filters.source,
                     search=filters.search, created_from=filters.created_from,
                     created_to=filters.created_to).order_by(order, "-id")
    return qs, filters, extra, sort


@require_GET
@web_view
def deal_list(request: HttpRequest) -> HttpResponse:
    qs, filters, extra, sort = _deals(request)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    unsorted = params.copy()
    unsorted.pop("sort", None)
    return render(request, "web/lists/deals.html", {
        "section": "deals", "page": page, "filters": filters, "extra": extra, "sort": sort,
        # Any filter beyond the search: the folded filters open by themselves.
        "more_filters": any(request.GET.get(k) for k in (
            "pipeline", "owner", "team", "source", "from", "to", "stage", "reached",
            "closed_from", "closed_to")) or extra["status"] != "open",
        "stages": stage_list(user=request.user, pipeline_id=extra["pipeline_id"]),
        "closed_inputs": [
            (name, label, "" if value is None else value.isoformat(),
             not isinstance(value, datetime.datetime))
            for name, label, value in (("closed_from", _("Closed from"), extra["closed_from"]),
                                       ("closed_to", _("Closed to"), extra["closed_to"]))],
        "query": params.urlencode(),
        "unsorted_query": unsorted.urlencode(),
        "pipelines": pipeline_list(user=request.user), "owners": user_choices(user=request.user),
        "teams": team_choices(user=request.user),
        "statuses": [*Deal.Status.choices, ("closed", _("Closed (won or lost)"))],
        "columns": [("title", _("Title")), ("company", _("Company")), ("stage", _("Stage")),
                    ("budget", _("Budget")), ("owner", _("Owner")), ("status", _("Status")),
                    ("created", _("Created"))]})


class _Echo:
    def write(self, value: str) -> str:
        return value


def _export_header() -> list[str]:
    return [_("ID"), _("Title"), _("Pipeline"), _("Stage"), _("Status"), _("Budget"),
            _("Owner"), _("Company"), _("Source"), "utm_source", "utm_medium", "utm_campaign",
            _("Created"), _("Closed"), _("Loss reason")]


def _export_rows(request: HttpRequest) -> Iterator[list[Any]]:
    """The listed deals as rows of values (times local and naive, as spreadsheets take)."""
    def local(at: datetime.datetime | None) -> datetime.datetime | None:
        return timezone.localtime(at).replace(tzinfo=None, microsecond=0) if at else None

    for d in _deals(request)[0].iterator(chunk_size=500):
        yield [d.pk, d.title, d.pipeline.name, d.stage.name, d.get_status_display(), d.budget,
               str(d.owner), d.company.name if d.company_id else "", d.source, d.utm_source,
               d.utm_medium, d.utm_campaign, local(d.created_at), local(d.closed_at),
               d.loss_reason.name if d.loss_reason_id else ""]


def _attachment(response: HttpResponse, ext: str) -> HttpResponse:
    stamp = datetime.date.today().isoformat()
    response["Content-Disposition"] = f'attachment; filename="deals-{stamp}.{ext}"'
    return response


@require_GET
@web_view
def deal_export(request: HttpRequest) -> StreamingHttpResponse:
    """The list as CSV (UTF-8 with BOM, so spreadsheet programs read Cyrillic right)."""
    writer = csv.writer(_Echo())

    def text(value: Any) -> Any:
        if isinstance(value, Decimal):
            return f"{value:f}"
        if isinstance(value, datetime.datetime):
            return value.strftime("%Y-%m-%d %H:%M")
        return "" if value is None else value

    def rows() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(_export_header())
        for row in _export_rows(request):
            yield writer.writerow(cells.csv_row([text(v) for v in row]))

    return _attachment(StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8"),
                       "csv")


@require_GET
@web_view
def deal_export_xlsx(request: HttpRequest) -> HttpResponse:
    """The list as an Excel workbook: opens in columns whatever the spreadsheet's locale
    (a CSV opens in one column where the list separator is ";", as in Russian Excel)."""
    table = Table(_("Deals"), _export_header(), list(_export_rows(request)))
    return _attachment(HttpResponse(to_xlsx([table]), content_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")), "xlsx")


@require_GET
@web_view
def contact_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:200]
    qs = contact_select(user=request.user, search=q).order_by("full_name", "id")
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "web/lists/contacts.html", {"section": "contacts", "page": page,
                                                       "q": q})


@require_GET
@web_view
def company_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:200]
    page = Paginator(company_select(user=request.user, search=q).order_by("name", "id"),
                     PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "web/lists/companies.html", {"section": "companies", "page": page,
                                                        "q": q})


def _refused(form: ContactForm | CompanyForm, exc: errors.ValidationError) -> None:
    """The service's errors on the form; a duplicate offers "Save as a new one"."""
    if "duplicate" in exc.errors:
        form.offer_duplicate()
    apply_errors(form, exc, {"duplicate": "allow_duplicate"})


def _save_contact(request: HttpRequest, form: ContactForm, contact=None):
    data = form.cleaned_data
    if contact is not None and data["company"] == str(contact.company_id or ""):
        company = contact.company  # kept as it is, even one the user could not pick anew
    else:
        company = company_get(user=request.user, pk=data["company"]) if data["company"] else None
    fields = {"full_name": data["full_name"], "position": data["position"], "company": company}
    if contact is None:
        return contact_create(actor=request.user, phones=form.phone_list(),
                              emails=form.email_list(), **fields,
                              allow_duplicate=form.allow_duplicate())
    return contact_update(contact=contact, actor=request.user, phones=form.phone_list(),
                          emails=form.email_list(), **fields)


@require_http_methods(["GET", "POST"])
@writer_view
def contact_new(request: HttpRequest) -> HttpResponse:
    form = ContactForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            contact = _save_contact(request, form)
        except errors.ValidationError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("The contact is saved."))
            return redirect("web:contact", contact_id=contact.pk)
    return render(request, "web/lists/edit.html", {
        "section": "contacts", "form": form, "title": _("New contact")},
        status=422 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
@web_view
def contact_detail(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = contact_get(user=request.user, pk=contact_id)
    form = ContactForm(request.POST or None, user=request.user, contact=contact)
    if request.method == "POST" and form.is_valid():
        try:
            _save_contact(request, form, contact)
        except errors.ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The contact is saved."))
            return redirect("web:contact", contact_id=contact.pk)
    deals = deal_select(user=request.user).filter(deal_contacts__contact=contact)
    return render(request, "web/lists/contact.html", {
        "section": "contacts", "contact": contact, "form": form, "deals": deals},
        status=422 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
@writer_view
def company_new(request: HttpRequest) -> HttpResponse:
    form = CompanyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            company = company_create(actor=request.user, **form.company_fields(),
                                     allow_duplicate=form.allow_duplicate())
        except errors.ValidationError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("The company is saved."))
            return redirect("web:company", company_id=company.pk)
    return render(request, "web/lists/edit.html", {
        "section": "companies", "form": form, "title": _("New company")},
        status=422 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
@web_view
def company_detail(request: HttpRequest, company_id: int) -> HttpResponse:
    company = company_get(user=request.user, pk=company_id)
    form = CompanyForm(request.POST or None, company=company)
    if request.method == "POST" and form.is_valid():
        try:
            company_update(company=company, actor=request.user, **form.company_fields())
        except errors.ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The company is saved."))
            return redirect("web:company", company_id=company.pk)
    return render(request, "web/lists/company.html", {
        "section": "companies", "company": company, "form": form,
        "deals": deal_select(user=request.user).filter(company=company),
        "contacts": contact_select(user=request.user).filter(company=company)},
        status=422 if request.method == "POST" else 200)
