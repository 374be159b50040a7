"""The deals behind a number: every figure of every report links here.

A *cell* names the figure: ``reached:<stage>``, ``now:<stage>``, ``lost:<stage>[:<reason>]``,
``lostreason:<reason>``, ``won``, ``requests``, ``stays:<stage>[:over]``, ``open``,
``new:<from>:<to>``, ``wonin:<from>:<to>``. Cohort figures list deals; flow figures (a loss,
a win, a stay in the period) list the moves, one row per move, so the list has exactly as many
rows as the number said. A flow win or loss is listed only if it is the deal's standing close
(no later win, loss or reopening of the deal), as the reports count it. The queries read the
live tables with the same definitions as the facts, scoped by ``deal_scope_q``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.core.errors import ValidationError
from voronka.deals.models import Deal, Transition
from voronka.deals.visibility import deal_scope_q

from .facts import EXIT_KINDS
from .query import COHORT, Context, day_bounds


@dataclass
class Drill:
    title: str
    events: bool  # rows are moves (Transition) rather than deals
    queryset: QuerySet


def over_limit_after(limit_hours: int) -> int:
    """The fewest seconds a stay needs to count as over a limit: exactly longer than it."""
    return limit_hours * 3600 + 1


def _deals(user: User, ctx: Context) -> QuerySet[Deal]:
    scope = ctx.scope
    qs = Deal.objects.filter(deal_scope_q(user), pipeline_id=scope.pipeline_id)
    if scope.owners is not None:
        qs = qs.filter(owner_id__in=scope.owners)
    if scope.source is not None:
        qs = qs.filter(source=scope.source)
    return qs.select_related("stage", "owner", "loss_reason")


def _moves(deals: QuerySet[Deal], start, end, pipeline_id: int) -> QuerySet[Transition]:
    # The pipeline and time first: the (pipeline, at) index finds the moves, then the deals.
    return (Transition.objects.filter(pipeline_id=pipeline_id, at__gte=start, at__lt=end,
                                      deal__in=deals.values("pk"))
            .select_related("deal", "deal__owner", "deal__stage", "from_stage", "to_stage",
                            "loss_reason").order_by("-at", "-id"))


def _closes(deals: QuerySet[Deal], start, end, pipeline_id: int, kind: str,
            cond: Q | None = None) -> QuerySet[Transition]:
    """The standing wins (``kind`` "won") or losses made in [start, end): those no later win,
    loss or reopening of the deal undid; ``cond`` filters the close (to_stage, loss_reason)."""
    later = Transition.objects.filter(
        deal=OuterRef("deal"), id__gt=OuterRef("id"),
        kind__in=[Transition.Kind.WON, Transition.Kind.LOST, Transition.Kind.REOPEN])
    return (_moves(deals, start, end, pipeline_id).filter(cond or Q(), kind=kind)
            .exclude(Exists(later)))


def _int(raw: str, field: str = "cell") -> int:
    try:
        return int(raw)
    except (TypeError, ValueError) as exc:
        raise ValidationError({field: _("Unknown figure.")}) from exc


def _date(raw: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(raw)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"cell": _("Unknown figure.")}) from exc


def drill(*, user: User, ctx: Context, cell: str) -> Drill:
    """The deals (or moves) behind ``cell`` under the report's filters."""
    parts = (cell or "").split(":")
    kind, args = parts[0], parts[1:]
    f = ctx.filters
    start, end = day_bounds(f.date_from, f.date_to)
    deals = _deals(user, ctx)
    scope_pipeline = ctx.scope.pipeline_id
    stages = {s.id: s for s in ctx.stages}
    order = [s.id for s in ctx.stages]

    def stage_arg() -> int:
        stage_id = _int(args[0] if args else "")
        if stage_id not in stages:
            raise ValidationError({"cell": _("Unknown stage.")})
        return stage_id

    cohort = deals.filter(created_at__gte=start, created_at__lt=end)
    if kind in ("reached", "requests"):
        stage_id = stage_arg() if kind == "reached" else order[0]
        later = order[order.index(stage_id):]
        name = stages[stage_id].name
        if f.mode == COHORT:
            return Drill(_("Reached “%(stage)s”") % {"stage": name}, False,
                         cohort.filter(furthest_stage_id__in=later).order_by("-created_at"))
        arrivals = (Transition.objects.filter(to_stage_id__in=later)
                    .exclude(kind=Transition.Kind.CORRECTION))
        first = arrivals.filter(deal=OuterRef("pk")).order_by("id").values("at")[:1]
        # Only deals that arrived in the period can have arrived there first.
        candidates = arrivals.filter(pipeline_id=scope_pipeline, at__gte=start, at__lt=end)
        qs = (deals.filter(pk__in=candidates.values("deal_id")).annotate(arrived=Subquery(first))
              .filter(arrived__gte=start, arrived__lt=end))
        return Drill(_("Reached “%(stage)s” in the period") % {"stage": name}, False,
                     qs.order_by("-arrived"))
    if kind == "now":
        stage_id = stage_arg()
        base = cohort if f.mode == COHORT else deals
        return Drill(_("Open on “%(stage)s” now") % {"stage": stages[stage_id].name}, False,
                     base.filter(status=Deal.Status.OPEN, stage_id=stage_id)
                     .order_by("-stage_entered_at"))
    if kind in ("lost", "lostreason"):
        stage_id = stage_arg() if kind == "lost" else None
        if kind == "lost":
            reason = args[1] if len(args) > 1 else None
        else:
            reason = args[0] if args else None
        cond = Q()
        if stage_id is not None:
            cond &= Q(stage_id=stage_id)
        if reason:
            cond &= Q(loss_reason_id=_int(reason))
        title = _("Lost")
        if stage_id is not None:
            title = _("Lost at “%(stage)s”") % {"stage": stages[stage_id].name}
        if reason:
            title += f" — {ctx.reasons.get(_int(reason), '?')}"
        if f.mode == COHORT:
            return Drill(title, False, cohort.filter(cond, status=Deal.Status.LOST)
                         .order_by("-closed_at"))
        move_cond = Q()
        if stage_id is not None:
            move_cond &= Q(to_stage_id=stage_id)
        if reason:
            move_cond &= Q(loss_reason_id=_int(reason))
        return Drill(title, True, _closes(deals, start, end, scope_pipeline,
                                          Transition.Kind.LOST, move_cond))
    if kind == "won":
        if f.mode == COHORT:
            return Drill(_("Won"), False, cohort.filter(status=Deal.Status.WON)
                         .order_by("-closed_at"))
        return Drill(_("Won in the period"), True,
                     _closes(deals, start, end, scope_pipeline, Transition.Kind.WON))
    if kind == "stays":
        stage_id = stage_arg()
        qs = _moves(deals, start, end, scope_pipeline).filter(kind__in=EXIT_KINDS,
                                                              from_stage_id=stage_id)
        title = _("Stays on “%(stage)s”") % {"stage": stages[stage_id].name}
        limit = stages[stage_id].time_limit_hours
        if len(args) > 1 and args[1] == "over" and limit:
            qs = qs.filter(seconds_in_stage__gte=over_limit_after(limit))
            title += " — " + _("over the limit")
        return Drill(title, True, qs)
    if kind == "open":
        return Drill(_("Open deals"), False,
                     deals.filter(status=Deal.Status.OPEN).order_by("-stage_entered_at"))
    if kind in ("new", "wonin") and len(args) == 2:
        first, last = _date(args[0]), _date(args[1])
        a, b = day_bounds(first, last)
        if kind == "new":
            return Drill(_("Created %(first)s – %(last)s") % {"first": first, "last": last},
                         False, deals.filter(created_at__gte=a, created_at__lt=b)
                         .order_by("-created_at"))
        return Drill(_("Won %(first)s – %(last)s") % {"first": first, "last": last}, True,
                     _closes(deals, a, b, scope_pipeline, Transition.Kind.WON))
    raise ValidationError({"cell": _("Unknown figure.")})

