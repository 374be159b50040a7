"""Stage changes from the board and the deal page: move (drag or "Move to…"), the missing-facts
dialog, win, archive with a reason, reopen. Each calls one move service; the refusals the
method makes (missing facts, backward, closed, concurrent change) become dialogs or toasts."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh, reswap, retarget

from voronka.core import errors
from voronka.core.numbers import parse_int
from voronka.deals.board import BoardFilters, board_card, move_blockers, stage_totals
from voronka.deals.models import Deal
from voronka.deals.provide import deal_facts_provide
from voronka.deals.selectors import deal_get
from voronka.deals.services import (
    deal_archive,
    deal_correct,
    deal_move,
    deal_reopen,
    deal_win,
)
from voronka.pipelines.models import LossReason, Stage

from ..forms.facts import FactsForm
from ..forms.moves import ArchiveForm
from .common import apply_errors, toast_response, trigger, web_view

WIN = "win"


class _Ctx:
    """Where a stage change came from: the board (with its filters) or the deal page."""

    def __init__(self, request: HttpRequest) -> None:
        source = request.POST if request.method == "POST" else request.GET
        self.origin = "board" if source.get("origin") == "board" else "deal"
        self.filter_query = source.get("filters", "")
        self.filters = BoardFilters.from_query(QueryDict(self.filter_query))
        self.version = parse_int(source.get("version"))
        self.target = source.get("to_stage", "")

    def hidden(self) -> dict[str, str]:
        out = {"origin": self.origin, "filters": self.filter_query,
               "version": "" if self.version is None else str(self.version)}
        if self.target:
            out["to_stage"] = self.target
        return out


def _stage(deal: Deal, raw: str) -> Stage:
    stage = Stage.objects.filter(pipeline_id=deal.pipeline_id, pk=parse_int(raw) or 0).first()
    if stage is None:
        raise errors.ValidationError({"to_stage": _("Choose a stage of the deal's pipeline.")})
    return stage


def _done(request: HttpRequest, ctx: _Ctx, deal: Deal, *, from_stage_id: int,
          message: str) -> HttpResponse:
    """After a successful change: update the board in place, or reload the deal page."""
    if not request.htmx:
        messages.success(request, message)
        return redirect("web:deal", deal_id=deal.pk)
    if ctx.origin != "board":
        messages.success(request, message)
        return HttpResponseClientRefresh()
    totals = stage_totals(user=request.user, pipeline=deal.pipeline, filters=ctx.filters)
    heads = [(stage, *totals.get(stage.pk, (0, 0))) for stage in
             Stage.objects.filter(pk__in={from_stage_id, deal.stage_id})]
    card = board_card(user=request.user, deal_id=deal.pk) if deal.is_open else None
    response = render(request, "web/board/_moved.html", {
        "deal_id": deal.pk, "card": card, "heads": heads,
        # The toolbar's total of the whole board: a win or a loss leaves it.
        "count": sum(count for count, _total in totals.values()),
        "budget": sum((total for _count, total in totals.values()), Decimal(0)),
        "pipeline": deal.pipeline, "filter_query": ctx.filters.as_query()})
    reswap(response, "none")
    trigger(response, "closeModal")
    return trigger(response, "toast", {"message": message, "level": "success"})


def _refused(request: HttpRequest, deal: Deal, message: str, status: int) -> HttpResponse:
    if not request.htmx:
        messages.error(request, message)
        return redirect("web:deal", deal_id=deal.pk)
    return toast_response(message, "error", status=status,
                          extra={"moveRefused": {"deal": deal.pk}})


def _facts_dialog(request: HttpRequest, ctx: _Ctx, deal: Deal, form: FactsForm | None = None,
                  status: int = 200) -> HttpResponse:
    to_stage_id = None if ctx.target == WIN else parse_int(ctx.target)
    if form is None:
        form = FactsForm(deal=deal, user=request.user,
                         blockers=move_blockers(deal=deal, to_stage_id=to_stage_id))
    target = next((s.name for s in deal.pipeline.stages.all() if s.pk == to_stage_id), "")
    context = {"deal": deal, "form": form, "ctx": ctx.hidden(), "target_name": target,
               "winning": ctx.target == WIN}
    if not request.htmx:
        return render(request, "web/deals/facts_page.html", context, status=status)
    response = render(request, "web/deals/_facts_dialog.html", context, status=status)
    retarget(response, "#modal")
    reswap(response, "innerHTML")
    trigger(response, "openModal")
    return trigger(response, "moveRefused", {"deal": deal.pk})


def _attempt(request: HttpRequest, ctx: _Ctx, deal: Deal) -> HttpResponse:
    """Run the move (or the win) the user asked for and answer with its outcome."""
    from_stage_id = deal.stage_id
    try:
        if ctx.target == WIN:
            deal_win(deal=deal, actor=request.user, expected_version=ctx.version)
            message = _("The deal is won.")
        else:
            stage = _stage(deal, ctx.target)
            deal_move(deal=deal, to_stage=stage, actor=request.user,
                      expected_version=ctx.version)
            message = _("Moved to “%(stage)s”.") % {"stage": stage.name}
    except errors.GateRefused:
        return _facts_dialog(request, ctx, deal)
    except errors.Conflict as exc:
        return _refused(request, deal, exc.message, 409)
    except (errors.MoveRefused, errors.ValidationError) as exc:
        return _refused(request, deal, exc.message, 422)
    return _done(request, ctx, deal, from_stage_id=from_stage_id, message=message)


@require_POST
@web_view
def deal_move_view(request: HttpRequest, deal_id: int) -> HttpResponse:
    return _attempt(request, _Ctx(request), deal_get(user=request.user, pk=deal_id))


@require_http_methods(["GET", "POST"])
@web_view
def deal_facts(request: HttpRequest, deal_id: int) -> HttpResponse:
    """GET: the dialog; POST: store what was filled, then retry the move."""
    deal, ctx = deal_get(user=request.user, pk=deal_id), _Ctx(request)
    if request.method == "GET":
        return _facts_dialog(request, ctx, deal)
    to_stage_id = None if ctx.target == WIN else parse_int(ctx.target)
    blockers = move_blockers(deal=deal, to_stage_id=to_stage_id)
    form = FactsForm(request.POST, deal=deal, user=request.user, blockers=blockers)
    if not form.is_valid():
        return _facts_dialog(request, ctx, deal, form, status=422)
    inputs = form.inputs()
    if inputs.is_empty() and blockers:
        form.add_error(None, _("Nothing was filled in: fill in or tick the facts above, or "
                               "cancel the move."))
        return _facts_dialog(request, ctx, deal, form, status=422)
    if not inputs.is_empty():
        try:
            deal = deal_facts_provide(deal=deal, actor=request.user, inputs=inputs,
                                      expected_version=ctx.version)
        except errors.ValidationError as exc:
            apply_errors(form, exc)
            return _facts_dialog(request, ctx, deal, form, status=422)
        except errors.Conflict as exc:
            return _refused(request, deal, exc.message, 409)
        ctx.version = deal.version
    return _attempt(request, ctx, deal)


@require_http_methods(["GET"])
@web_view
def deal_move_dialog(request: HttpRequest, deal_id: int) -> HttpResponse:
    """"Move to…": every stage change as a button — the keyboard alternative to dragging."""
    deal = deal_get(user=request.user, pk=deal_id)
    ctx = _Ctx(request)
    stages = list(deal.pipeline.stages.order_by("position", "id"))
    here = next(i for i, s in enumerate(stages) if s.pk == deal.stage_id)
    return render(request, "web/deals/_move_dialog.html", {
        "deal": deal, "ctx": ctx.hidden(), "stages": stages, "here": here})


@require_POST
@web_view
def deal_win_view(request: HttpRequest, deal_id: int) -> HttpResponse:
    ctx = _Ctx(request)
    ctx.target = WIN
    return _attempt(request, ctx, deal_get(user=request.user, pk=deal_id))


@require_http_methods(["GET", "POST"])
@web_view
def deal_archive_view(request: HttpRequest, deal_id: int) -> HttpResponse:
    """Archive (lose) with a reason: GET the dialog, POST the reason."""
    deal, ctx = deal_get(user=request.user, pk=deal_id), _Ctx(request)
    reasons = LossReason.objects.filter(pipeline_id=deal.pipeline_id, is_active=True)
    form = ArchiveForm(request.POST or None, reasons=reasons)
    if request.method == "POST" and form.is_valid():
        from_stage_id = deal.stage_id
        try:
            deal_archive(deal=deal, actor=request.user, reason=form.cleaned_data["reason"],
                         comment=form.cleaned_data["comment"], expected_version=ctx.version)
        except errors.ValidationError as exc:
            apply_errors(form, exc)
        except errors.Conflict as exc:
            return _refused(request, deal, exc.message, 409)
        except errors.MoveRefused as exc:
            return _refused(request, deal, exc.message, 422)
        else:
            return _done(request, ctx, deal, from_stage_id=from_stage_id,
                         message=_("The deal is archived: %(reason)s.") % {
                             "reason": form.cleaned_data["reason"].name})
    context = {"deal": deal, "form": form, "ctx": ctx.hidden(),
               "action": reverse("web:deal_archive", args=[deal.pk]),
               "no_reasons": not reasons.exists()}
    status = 422 if request.method == "POST" else 200
    if not request.htmx:
        return render(request, "web/deals/archive_page.html", context, status=status)
    response = render(request, "web/deals/_archive_dialog.html", context, status=status)
    if request.method == "POST":
        retarget(response, "#modal")
        reswap(response, "innerHTML")
    return trigger(response, "moveRefused", {"deal": deal.pk})


@require_POST
@web_view
def deal_reopen_view(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal, ctx = deal_get(user=request.user, pk=deal_id), _Ctx(request)
    try:
        deal_reopen(deal=deal, actor=request.user, expected_version=ctx.version)
    except (errors.MoveRefused, errors.Conflict) as exc:
        return _refused(request, deal, exc.message, 409)
    return _done(request, ctx, deal, from_stage_id=deal.stage_id,
                 message=_("The deal is open again."))


@require_POST
@web_view
def deal_correct_view(request: HttpRequest, deal_id: int) -> HttpResponse:
    """An administrator's backward correction of a mistaken move, with its reason."""
    deal, ctx = deal_get(user=request.user, pk=deal_id), _Ctx(request)
    try:
        transition = deal_correct(deal=deal, to_stage=_stage(deal, ctx.target),
                                  actor=request.user, reason=request.POST.get("reason", ""),
                                  expected_version=ctx.version)
    except (errors.MoveRefused, errors.Conflict, errors.ValidationError) as exc:
        messages.error(request, exc.message.split(": ", 1)[-1])
        return redirect("web:deal", deal_id=deal.pk)
    messages.success(request, _("The stage is corrected to “%(stage)s”.") % {
        "stage": transition.to_stage.name})
    return redirect("web:deal", deal_id=deal.pk)
