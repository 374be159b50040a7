"""Write use cases for tasks, notes and calls."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.core import events
from voronka.core.errors import MoveRefused, PermissionDenied, ValidationError
from voronka.core.normalize import InvalidValue, clean_text, normalize_phone
from voronka.core.transactions import service
from voronka.crm.models import Company, Contact
from voronka.deals.models import Deal
from voronka.deals.visibility import can_edit_deal

from .models import Call, Note, Task, TaskKind


def _subject(deal: Deal | None, contact: Contact | None, company: Company | None) -> None:
    if deal is None and contact is None and company is None:
        raise ValidationError({"deal": _("A task or note needs a deal, a contact or a company.")})


def _can_act(actor: User | None, deal: Deal | None) -> None:
    if actor is None:
        return
    if not actor.can_write:
        raise PermissionDenied(_("You may not add activities."))
    if deal is not None and not can_edit_deal(actor, deal):
        raise PermissionDenied(_("You may not change this deal."))


def can_complete_task(actor: User, task: Task) -> bool:
    """May ``actor`` mark ``task`` done: its assignee always; anyone else who may change its
    deal (a task without a deal: an administrator or a head)."""
    if task.assignee_id == actor.pk:
        return True
    if not actor.can_write:
        return False
    if task.deal_id is not None:
        return can_edit_deal(actor, task.deal)
    return actor.is_admin or actor.is_head


def _aware(value: datetime.datetime, field: str) -> datetime.datetime:
    if not isinstance(value, datetime.datetime):
        raise ValidationError({field: _("Enter a date and time.")})
    return value if timezone.is_aware(value) else timezone.make_aware(value)


@service
def task_create(*, actor: User | None, text: str, due_at: datetime.datetime,
                assignee: User | None = None, kind: str = TaskKind.OTHER,
                deal: Deal | None = None, contact: Contact | None = None,
                company: Company | None = None,
                created_at: datetime.datetime | None = None,
                silent: frozenset[events.Subscriber] = frozenset(),
                hints: dict[events.Subscriber, Any] | None = None) -> Task:
    """Create a task. ``created_at`` is a past time from a trusted caller (demo, import);
    no view or API endpoint passes it. ``silent``: event subscribers the caller's probe
    found not listening in the deal's pipeline in this transaction (core.events);
    ``hints``: the other probed subscribers' answers, handed on with the event."""
    _subject(deal, contact, company)
    _can_act(actor, deal)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("This field is required.")})
    if kind not in TaskKind.values:
        raise ValidationError({"kind": _("Unknown task kind.")})
    assignee = assignee or (deal.owner if deal is not None else actor)
    if assignee is None:
        raise ValidationError({"assignee": _("This field is required.")})
    if not assignee.can_write:
        raise ValidationError({"assignee": _("This user cannot take tasks.")})
    task = Task.objects.create(deal=deal, contact=contact, company=company, assignee=assignee,
                               created_by=actor, kind=kind, text=text,
                               due_at=_aware(due_at, "due_at"),
                               created_at=created_at or timezone.now())
    events.publish(events.TASK_CREATED, deal=deal, actor=actor, silent=silent, hints=hints,
                   task_id=task.pk, due_at=task.due_at, kind=task.kind)
    return task


@service
def task_complete(*, task: Task, actor: User | None, result: str = "",
                  done_at: datetime.datetime | None = None) -> Task:
    """Mark done with its result; a done task of a kind can be the fact a stage waits for."""
    result = clean_text(result, field="result")
    locked = Task.objects.select_for_update(of=("self",)).select_related("deal").get(
        pk=task.pk)
    if actor is not None and not can_complete_task(actor, locked):
        raise PermissionDenied(_("You may not complete this task."))
    if locked.is_done:
        raise MoveRefused(_("The task is already done."))
    locked.is_done = True
    locked.done_at = done_at or timezone.now()
    locked.result = result
    locked.save(update_fields=["is_done", "done_at", "result"])
    task.is_done, task.done_at, task.result = locked.is_done, locked.done_at, locked.result
    return locked


@service
def note_create(*, actor: User | None, text: str, deal: Deal | None = None,
                contact: Contact | None = None, company: Company | None = None,
                created_at: datetime.datetime | None = None) -> Note:
    _subject(deal, contact, company)
    _can_act(actor, deal)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("This field is required.")})
    return Note.objects.create(deal=deal, contact=contact, company=company, author=actor,
                               text=text, created_at=created_at or timezone.now())


@service
def call_log(*, actor: User | None, direction: str, phone: str, started_at: datetime.datetime,
             duration_seconds: int = 0, answered: bool = True, recording_url: str = "",
             user: User | None = None, deal: Deal | None = None,
             contact: Contact | None = None, provider_call_id: str = "",
             silent: frozenset[events.Subscriber] = frozenset(),
             hints: dict[events.Subscriber, Any] | None = None,
             event_data: dict[str, Any] | None = None) -> Call:
    """Record a call; it keeps the stage its deal was on, so minutes can be read per stage.

    An inbound call nobody answered is announced ("call.missed", with ``event_data`` added:
    capture passes its capture and call-back task), however it was logged — the one place
    a missed call is published. ``silent``/``hints``: as for ``task_create``."""
    _can_act(actor, deal)
    errors: dict[str, str] = {}
    if direction not in Call.Direction.values:
        errors["direction"] = _("Unknown call direction.")
    try:
        phone = normalize_phone(phone)
    except InvalidValue as exc:
        errors["phone"] = str(exc)
    if isinstance(duration_seconds, bool) or not isinstance(duration_seconds, int) \
            or duration_seconds < 0:
        errors["duration_seconds"] = _("Enter a whole number of seconds, 0 or more.")
    if recording_url and not str(recording_url).startswith(("http://", "https://")):
        errors["recording_url"] = _("Enter an http(s) address.")
    if errors:
        raise ValidationError(errors)
    call = Call.objects.create(
        direction=direction, phone=phone, started_at=_aware(started_at, "started_at"),
        duration_seconds=duration_seconds if answered else 0, answered=answered,
        recording_url=recording_url or "", provider_call_id=(provider_call_id or "")[:200],
        user=user or actor, deal=deal, contact=contact,
        stage_id=deal.stage_id if deal is not None else None)
    if direction == Call.Direction.INBOUND and not answered:
        events.publish(events.CALL_MISSED, deal=deal, actor=actor, silent=silent, hints=hints,
                       call_id=call.pk, phone=call.phone, **(event_data or {}))
    return call
