"""Reads of deals, scoped to what the reader may see. They return querysets or plain data."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from voronka.accounts.models import User
from voronka.core.errors import NotFound
from voronka.core.models import FieldChange
from voronka.pipelines.models import CustomField, Pipeline, Stage, StageRequirement

from . import gates
from .models import Deal, DealFact, Transition
from .visibility import deal_scope_q, pipeline_deal_scope_q

Moment = datetime.date | datetime.datetime


def _stage_onwards(field: str, stage_id: int) -> Q | None:
    """``field`` (a stage foreign key of the deal) is ``stage_id`` or a later stage of its
    pipeline, in the pipeline's order (position, id); None if there is no such stage."""
    stage = Stage.objects.filter(pk=stage_id).values("pipeline_id", "position").first()
    if stage is None:
        return None
    return Q(**{f"{field}__pipeline_id": stage["pipeline_id"]}) & (
        Q(**{f"{field}__position__gt": stage["position"]})
        | Q(**{f"{field}__position": stage["position"], f"{field}_id__gte": stage_id}))


def _closed_between(qs: QuerySet[Deal], closed_from: Moment | None,
                    closed_to: Moment | None) -> QuerySet[Deal]:
    # A date is a whole local day (both ends included); a moment is an instant: from it
    # (included) to it (excluded).
    if isinstance(closed_from, datetime.datetime):
        qs = qs.filter(closed_at__gte=closed_from)
    elif closed_from:
        qs = qs.filter(closed_at__date__gte=closed_from)
    if isinstance(closed_to, datetime.datetime):
        qs = qs.filter(closed_at__lt=closed_to)
    elif closed_to:
        qs = qs.filter(closed_at__date__lte=closed_to)
    return qs


def deal_list(*, user: User, pipeline_id: int | None = None, status: str | None = None,
              owner_id: int | None = None, team_id: int | None = None, source: str = "",
              search: str = "", created_from: datetime.date | None = None,
              created_to: datetime.date | None = None, stage_id: int | None = None,
              onwards: bool = False, reached_stage_id: int | None = None,
              closed_from: Moment | None = None,
              closed_to: Moment | None = None,
              pipeline: Pipeline | None = None) -> QuerySet[Deal]:
    """The deals ``user`` may see, filtered. ``status`` "closed" is won or lost. ``stage_id``:
    the deal's current stage (with ``onwards``, that stage or a later one of its pipeline);
    ``reached_stage_id``: the furthest stage the deal ever reached is that one or later (the
    reports' "reached"). A stage of a pipeline the user cannot see simply matches nothing.
    ``pipeline``: the deals of that pipeline, the scope without joins when the user sees all
    of them (the board)."""
    qs = Deal.objects.filter(deal_scope_q(user) if pipeline is None
                             else pipeline_deal_scope_q(user, pipeline))
    if pipeline_id:
        qs = qs.filter(pipeline_id=pipeline_id)
    if status == "closed":
        qs = qs.filter(status__in=[Deal.Status.WON, Deal.Status.LOST])
    elif status:
        qs = qs.filter(status=status)
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    if team_id:
        qs = qs.filter(owner__team_id=team_id)
    if source:
        qs = qs.filter(source=source)
    if search:
        qs = qs.filter(Q(title__icontains=search) | Q(company__name__icontains=search))
    if created_from:
        qs = qs.filter(created_at__date__gte=created_from)
    if created_to:
        qs = qs.filter(created_at__date__lte=created_to)
    for field, sid, later in (("stage", stage_id, onwards),
                              ("furthest_stage", reached_stage_id, True)):
        if not sid:
            continue
        cond = _stage_onwards(field, sid) if later else Q(**{f"{field}_id": sid})
        qs = qs.filter(cond) if cond is not None else qs.none()
    qs = _closed_between(qs, closed_from, closed_to)
    return qs.select_related("pipeline", "stage", "owner", "company", "loss_reason")


def deal_get(*, user: User, pk: Any) -> Deal:
    """The deal if the user may see it; NotFound otherwise (never reveal it exists)."""
    try:
        return deal_list(user=user).get(pk=int(pk))
    except (Deal.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("deal") from exc


@dataclass(frozen=True)
class ChecklistItem:
    stage_id: int
    requirement_id: int
    kind: str
    label: str
    done: bool
    fact: DealFact | None = None  # a confirmed fact: who vouched for it, when, on what


def deal_exit_checklist(*, deal: Deal) -> list[ChecklistItem]:
    """The current stage's exit requirements with what is done and what is missing."""
    stage = Stage.objects.get(pk=deal.stage_id)
    items = gates.checklist(deal, [stage])
    facts = {}
    if any(req.kind == StageRequirement.Kind.FACT_CONFIRMED for _s, req, _ok in items):
        facts = {f.requirement_id: f for f in deal.facts.select_related("confirmed_by")}
    return [ChecklistItem(stage.pk, req.pk, req.kind, gates.requirement_label(req), ok,
                          facts.get(req.pk))
            for _stage, req, ok in items]


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime.datetime
    kind: str  # transition, task, task_done, note, call, fact, payment, change
    user: str
    summary: dict[str, Any]


def deal_timeline(*, user: User, deal: Deal) -> list[TimelineEntry]:
    """Everything that happened to a deal, newest first: moves, tasks, notes, calls, payments
    and field changes merged into one list."""
    deal = deal_get(user=user, pk=deal.pk)
    entries: list[TimelineEntry] = []
    for t in Transition.objects.filter(deal=deal).select_related(
            "from_stage", "to_stage", "by", "loss_reason"):
        entries.append(TimelineEntry(t.at, "transition", str(t.by or ""), {
            "kind": t.kind, "from": str(t.from_stage or ""), "to": str(t.to_stage),
            "seconds_in_stage": t.seconds_in_stage, "reason": str(t.loss_reason or ""),
            "comment": t.comment}))
    for task in deal.tasks.select_related("assignee"):
        entries.append(TimelineEntry(task.created_at, "task", str(task.assignee), {
            "id": task.pk, "kind": task.kind, "text": task.text, "due_at": task.due_at}))
        if task.is_done:
            entries.append(TimelineEntry(task.done_at, "task_done", str(task.assignee), {
                "id": task.pk, "kind": task.kind, "text": task.text, "result": task.result}))
    for note in deal.notes.select_related("author"):
        entries.append(TimelineEntry(note.created_at, "note", str(note.author or ""),
                                     {"text": note.text}))
    for call in deal.calls.select_related("user", "stage"):
        entries.append(TimelineEntry(call.started_at, "call", str(call.user or ""), {
            "direction": call.direction, "phone": call.phone, "answered": call.answered,
            "duration_seconds": call.duration_seconds, "stage": str(call.stage or ""),
            "recording_url": call.recording_url}))
    for fact in deal.facts.select_related("confirmed_by", "requirement"):
        entries.append(TimelineEntry(fact.confirmed_at, "fact", str(fact.confirmed_by), {
            "fact": fact.requirement.fact_name, "comment": fact.comment}))
    for payment in deal.payments.select_related("created_by"):
        entries.append(TimelineEntry(payment.created_at, "payment", str(payment.created_by or ""),
                                     {"amount": payment.amount, "paid_on": payment.paid_on,
                                      "reference": payment.reference}))
    for change in FieldChange.objects.filter(entity="deal", object_id=deal.pk).select_related(
            "changed_by"):
        entries.append(TimelineEntry(change.changed_at, "change", str(change.changed_by or ""), {
            "field": change.field, "old": change.old_value, "new": change.new_value}))
    from voronka.automation.selectors import deal_timeline_entries

    entries.extend(deal_timeline_entries(deal=deal))  # rule runs and e-mails
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


def transition_list(*, user: User, deal: Deal | None = None,
                    pipeline_id: int | None = None) -> QuerySet[Transition]:
    qs = Transition.objects.filter(deal_scope_q(user, prefix="deal__"))
    if deal is not None:
        qs = qs.filter(deal=deal)
    if pipeline_id:
        qs = qs.filter(pipeline_id=pipeline_id)
    return qs.select_related("from_stage", "to_stage", "by")


@dataclass(frozen=True)
class DealPage:
    """Everything the deal page shows about a deal, read for one user."""

    stages: list[Stage]
    here: int  # the current stage's index in ``stages``
    custom_fields: list[CustomField]
    custom_values: list[tuple[CustomField, Any]]
    checklist: list[ChecklistItem]
    timeline: list[TimelineEntry]
    deal_contacts: list[Any]
    open_tasks: list[Any]
    completable: set[int]  # open tasks whose "Done" the reader may use
    paid: Decimal
    days_in_stage: int
    over_time_limit: bool
    can_edit: bool
    can_correct: bool


def deal_page(*, user: User, deal: Deal, now: datetime.datetime) -> DealPage:
    from voronka.activities.services import can_complete_task
    from voronka.pipelines.selectors import custom_field_list

    from .board import stage_clock
    from .visibility import can_correct_deal, can_edit_deal

    custom = custom_field_list(pipeline_id=deal.pipeline_id)
    stages = list(deal.pipeline.stages.order_by("position", "id"))
    here = next((i for i, s in enumerate(stages) if s.pk == deal.stage_id), 0)
    values = deal.custom_fields or {}
    open_tasks = list(deal.tasks.filter(is_done=False).select_related("assignee")
                      .order_by("due_at"))
    days, over = stage_clock(deal.stage_entered_at, deal.stage.time_limit_hours, now)
    return DealPage(
        stages=stages, here=here, custom_fields=custom,
        custom_values=[(cf, values.get(cf.code)) for cf in custom],
        checklist=deal_exit_checklist(deal=deal) if deal.is_open else [],
        timeline=deal_timeline(user=user, deal=deal),
        deal_contacts=list(deal.deal_contacts.select_related("contact", "contact__company")
                           .prefetch_related("contact__phones", "contact__emails")),
        open_tasks=open_tasks,
        completable={t.pk for t in open_tasks if can_complete_task(user, t)},
        paid=gates.amount_paid(deal),
        days_in_stage=days, over_time_limit=deal.is_open and over,
        can_edit=can_edit_deal(user, deal), can_correct=can_correct_deal(user, deal))
