"""The deal page and its actions: edit fields, contacts and company, confirm facts, and add
tasks, notes, payments and calls. Each POST calls one service, then redirects back (PRG);
bad input re-renders the page with the form's errors."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from voronka.accounts.selectors import user_list
from voronka.activities.services import call_log, note_create, task_create
from voronka.core import errors
from voronka.crm.selectors import company_get, contact_get
from voronka.deals.gates import BUILTIN_FIELDS
from voronka.deals.models import Deal
from voronka.deals.provide import FactInputs, deal_facts_provide, deal_quick_create
from voronka.deals.selectors import deal_get, deal_page
from voronka.deals.services import (
    deal_contact_detach,
    deal_fact_confirm,
    deal_update,
    payment_create,
)
from voronka.deals.visibility import can_use_pipeline
from voronka.pipelines.models import CustomField
from voronka.pipelines.selectors import (
    custom_field_list,
    pipeline_get,
    pipeline_list,
    requirement_get,
)

from ..forms.deals import (
    CallForm,
    CompanySetForm,
    ContactAttachForm,
    DealCreateForm,
    DealForm,
    NoteForm,
    PaymentForm,
    TaskForm,
)
from .common import apply_errors, web_view, writer_view


def _field_labels(custom: list[CustomField]) -> dict[str, str]:
    labels = {name: str(label) for name, (label, _check) in BUILTIN_FIELDS.items()}
    labels.update({"owner": _("Owner"), "contacts": _("Contacts"), "stage": _("Stage"),
                   "utm_medium": "utm_medium", "utm_term": "utm_term",
                   "utm_content": "utm_content"})
    labels.update({f"custom_fields.{cf.code}": cf.name for cf in custom})
    return labels


def _render(request: HttpRequest, deal: Deal, status: int = 200, **forms: Any) -> HttpResponse:
    user, now = request.user, timezone.now()
    page = deal_page(user=user, deal=deal, now=now)
    context = {
        "section": "deals", "deal": deal, "page": page, "now": now,
        # The names the page's templates (and the tasks' partial) have always read:
        "stages": page.stages, "here": page.here, "can_edit": page.can_edit,
        "checklist": page.checklist, "timeline": page.timeline,
        "custom_values": page.custom_values, "deal_contacts": page.deal_contacts,
        "open_tasks": page.open_tasks, "completable": page.completable, "paid": page.paid,
        "field_labels": _field_labels(page.custom_fields),
        "ctx": {"origin": "deal", "version": str(deal.version)},
        "deal_form": forms.get("deal_form") or DealForm(deal=deal, user=user,
                                                        custom=page.custom_fields),
        "task_form": forms.get("task_form") or TaskForm(user=user),
        "note_form": forms.get("note_form") or NoteForm(),
        "payment_form": forms.get("payment_form") or PaymentForm(),
        "call_form": forms.get("call_form") or CallForm(),
        "contact_form": forms.get("contact_form") or ContactAttachForm(user=user),
        "company_form": forms.get("company_form") or CompanySetForm(user=user),
        "active_pane": forms.get("active_pane", "task"),
    }
    return render(request, "web/deals/detail.html", context, status=status)


def _back(deal: Deal, message: str, request: HttpRequest) -> HttpResponse:
    messages.success(request, message)
    return redirect("web:deal", deal_id=deal.pk)


@require_http_methods(["GET"])
@web_view
def deal_detail(request: HttpRequest, deal_id: int) -> HttpResponse:
    return _render(request, deal_get(user=request.user, pk=deal_id))


@require_POST
@web_view
def deal_edit(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = deal_get(user=request.user, pk=deal_id)
    form = DealForm(request.POST, deal=deal, user=request.user,
                    custom=custom_field_list(pipeline_id=deal.pipeline_id))
    if form.is_valid():
        changes = form.changes()
        try:
            if "owner" in changes:
                changes["owner"] = user_list(user=request.user).get(pk=int(changes["owner"]))
            if "company" in changes:
                changes["company"] = (company_get(user=request.user, pk=changes["company"])
                                      if changes["company"] else None)
            if changes:
                deal_update(deal=deal, actor=request.user, **changes,
                            expected_version=int(request.POST.get("version") or deal.version))
            return _back(deal, _("The deal is saved."), request)
        except errors.ValidationError as exc:
            apply_errors(form, exc)
        except errors.Conflict as exc:
            form.add_error(None, exc.message)
        except (errors.NotFound, ValueError):
            form.add_error(None, _("Choose one of the list."))
    return _render(request, deal, status=422, deal_form=form)


@require_http_methods(["GET", "POST"])
@writer_view
def deal_new(request: HttpRequest) -> HttpResponse:
    pipelines = [p for p in pipeline_list(user=request.user)
                 if can_use_pipeline(request.user, p)]
    initial = {"pipeline": request.GET.get("pipeline", "")}
    form = DealCreateForm(request.POST or None, user=request.user, pipelines=pipelines,
                          initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            deal = deal_quick_create(
                actor=request.user, pipeline=pipeline_get(user=request.user, pk=data["pipeline"]),
                title=data["title"], budget=data["budget"] or "0",
                company=company_get(user=request.user, pk=data["company"])
                if data["company"] else None,
                new_company_name=data["new_company_name"], contact_name=data["contact_name"],
                contact_phone=data["contact_phone"], source=data["source"])
        except errors.ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _back(deal, _("The deal is created."), request)
    return render(request, "web/deals/new.html", {"form": form, "section": "deals"},
                  status=422 if request.method == "POST" else 200)


@require_POST
@web_view
def deal_confirm(request: HttpRequest, deal_id: int, requirement_id: int) -> HttpResponse:
    deal = deal_get(user=request.user, pk=deal_id)
    requirement = requirement_get(user=request.user, pk=requirement_id)
    if requirement.stage.pipeline_id != deal.pipeline_id:
        raise errors.NotFound("requirement")
    try:
        deal_fact_confirm(deal=deal, requirement=requirement, actor=request.user,
                          comment=request.POST.get("comment", ""))
    except errors.ValidationError as exc:
        messages.error(request, exc.message)
        return redirect("web:deal", deal_id=deal.pk)
    return _back(deal, _("Confirmed: %(fact)s.") % {"fact": requirement.fact_name}, request)


@require_POST
@web_view
def deal_contact_add(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = deal_get(user=request.user, pk=deal_id)
    form = ContactAttachForm(request.POST, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            inputs = FactInputs(
                contact=contact_get(user=request.user, pk=data["contact"])
                if data["contact"] else None,
                new_contact_name=data["new_contact_name"],
                new_contact_phone=data["new_contact_phone"], contact_role=data["contact_role"])
            deal_facts_provide(deal=deal, actor=request.user, inputs=inputs)
            return _back(deal, _("The contact is attached."), request)
        except errors.ValidationError as exc:
            apply_errors(form, exc)
    return _render(request, deal, status=422, contact_form=form)


@require_POST
@web_view
def deal_contact_remove(request: HttpRequest, deal_id: int, contact_id: int) -> HttpResponse:
    deal = deal_get(user=request.user, pk=deal_id)
    contact = contact_get(user=request.user, pk=contact_id)
    deal_contact_detach(deal=deal, contact=contact, actor=request.user)
    return _back(deal, _("The contact is detached."), request)


@require_POST
@web_view
def deal_company_set(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = deal_get(user=request.user, pk=deal_id)
    form = CompanySetForm(request.POST, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            inputs = FactInputs(
                company=company_get(user=request.user, pk=data["company"])
                if data["company"] else None,
                new_company_name=data["new_company_name"])
            deal_facts_provide(deal=deal, actor=request.user, inputs=inputs)
            return _back(deal, _("The company is set."), request)
        except errors.ValidationError as exc:
            apply_errors(form, exc, {"name": "new_company_name"})
        except errors.Conflict as exc:
            form.add_error(None, exc.message)
    return _render(request, deal, status=422, company_form=form)


@require_POST
@web_view
def deal_task_add(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = deal_get(user=request.user, pk=deal_id)
    form = TaskForm(request.POST, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            assignee = (user_list(user=request.user).get(pk=int(data["assignee"]))
                        if data["assignee"] else None)
            task_create(actor=request.user, deal=deal, kind=data["kind"], text=data["text"],
                        due_at=data["due_at"], assignee=assignee)
            return _back(deal, _("The task is planned."), request)
        except errors.ValidationError as exc:
            apply_errors(form, exc)
        except (ValueError, LookupError):
            form.add_error("assignee", _("Choose one of the list."))
    return _render(request, deal, status=422, task_form=form, active_pane="task")


@require_POST
@web_view
def deal_note_add(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = deal_get(user=request.user, pk=deal_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            note_create(actor=request.user, deal=deal, text=form.cleaned_data["text"])
            return _back(deal, _("The note is added."), request)
        except errors.ValidationError as exc:
            apply_errors(form, exc)
    return _render(request, deal, status=422, note_form=form, active_pane="note")


@require_POST
@web_view
def deal_payment_add(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = deal_get(user=request.user, pk=deal_id)
    form = PaymentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            payment_create(deal=deal, amount=data["amount"], paid_on=data["paid_on"],
                           reference=data["reference"], actor=request.user)
            return _back(deal, _("The payment is recorded."), request)
        except errors.ValidationError as exc:
            apply_errors(form, exc)
    return _render(request, deal, status=422, payment_form=form, active_pane="payment")


@require_POST
@web_view
def deal_call_add(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = deal_get(user=request.user, pk=deal_id)
    form = CallForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            call_log(actor=request.user, deal=deal, direction=data["direction"],
                     phone=data["phone"], started_at=data["started_at"],
                     duration_seconds=form.duration_seconds(), answered=data["answered"])
            return _back(deal, _("The call is logged."), request)
        except errors.ValidationError as exc:
            apply_errors(form, exc, {"duration_seconds": "minutes"})
    return _render(request, deal, status=422, call_form=form, active_pane="call")

