"""Reads of deals, scoped to what the reader may see. They return querysets or plain data."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from voronka.accounts.models import User
from voronka.core.errors import NotFound
from voronka.core.models import FieldChange
from voronka.pipelines.models import Pipeline, Stage

from . import gates
from .models import Deal, Transition
from .visibility import deal_scope_q, pipeline_deal_scope_q


def deal_list(*, user: User, pipeline_id: int | None = None, status: str | None = None,
              owner_id: int | None = None, team_id: int | None = None, source: str = "",
              search: str = "", created_from: datetime.date | None = None,
              created_to: datetime.date | None = None,
              pipeline: Pipeline | None = None) -> QuerySet[Deal]:
    """The deals ``user`` may see, filtered. ``pipeline``: the deals of that pipeline, the
    scope without joins when the user sees all of them (the board)."""
    qs = Deal.objects.filter(deal_scope_q(user) if pipeline is None
                             else pipeline_deal_scope_q(user, pipeline))
    if pipeline_id:
        qs = qs.filter(pipeline_id=pipeline_id)
    if status:
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


def deal_exit_checklist(*, deal: Deal) -> list[ChecklistItem]:
    """The current stage's exit requirements with what is done and what is missing."""
    stage = Stage.objects.get(pk=deal.stage_id)
    return [ChecklistItem(stage.pk, req.pk, req.kind, gates.requirement_label(req), ok)
            for _stage, req, ok in gates.checklist(deal, [stage])]


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime.datetime
    kind: str  # transition, task, task_done, note, call, payment, change
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
