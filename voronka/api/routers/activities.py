"""Tasks, notes and calls, and the people a token's user may see."""

from __future__ import annotations

import datetime
from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from voronka.accounts.selectors import user_list
from voronka.activities import services
from voronka.activities.models import TaskKind
from voronka.activities.selectors import call_list, task_list
from voronka.api.pagination import Cursor, Limit, Page, paginate
from voronka.api.types import MAX_INT, Id, Moment, ShortText, Text
from voronka.core.errors import NotFound, ValidationError
from voronka.crm.selectors import company_get, contact_get
from voronka.deals.selectors import deal_get

from .deals import resolve

router = Router(tags=["activities"])

Kind = Literal[tuple(TaskKind.values)]  # type: ignore[valid-type]


class UserOut(Schema):
    id: int
    email: str
    full_name: str
    role: str
    team_id: int | None


class SubjectIn(Schema):
    deal_id: Id | None = None
    contact_id: Id | None = None
    company_id: Id | None = None


class TaskOut(Schema):
    id: int
    deal_id: int | None
    contact_id: int | None
    company_id: int | None
    assignee_id: int
    kind: str
    text: str
    due_at: datetime.datetime
    is_done: bool
    done_at: datetime.datetime | None
    result: str
    created_at: datetime.datetime


class TaskIn(SubjectIn):
    text: Text = Field(description='Aim at an agreement: "Договориться о…".')
    due_at: Moment
    kind: Kind = "other"
    assignee_id: Id | None = Field(None, description="Defaults to the deal's owner.")


class TaskFilters(Schema):
    assignee_id: Id | None = None
    done: bool | None = None
    deal_id: Id | None = None


class CompleteIn(Schema):
    result: Text = ""


class NoteOut(Schema):
    id: int
    deal_id: int | None
    contact_id: int | None
    company_id: int | None
    author_id: int | None
    text: str
    created_at: datetime.datetime


class NoteIn(SubjectIn):
    text: Text


class CallOut(Schema):
    id: int
    direction: str
    phone: str
    started_at: datetime.datetime
    duration_seconds: int
    answered: bool
    recording_url: str
    provider_call_id: str
    user_id: int | None
    deal_id: int | None
    contact_id: int | None
    stage_id: int | None


class CallIn(Schema):
    direction: Literal["inbound", "outbound"]
    phone: ShortText
    started_at: Moment
    duration_seconds: int = Field(0, ge=0, le=MAX_INT)
    answered: bool = True
    recording_url: ShortText = ""
    deal_id: Id | None = None
    contact_id: Id | None = None


def _subjects(request: HttpRequest, payload: SubjectIn) -> dict:
    user = request.auth
    return {
        "deal": resolve("deal_id", deal_get, user=user, pk=payload.deal_id)
        if payload.deal_id else None,
        "contact": resolve("contact_id", contact_get, user=user, pk=payload.contact_id)
        if payload.contact_id else None,
        "company": resolve("company_id", company_get, user=user, pk=payload.company_id)
        if getattr(payload, "company_id", None) else None,
    }


def _one(qs, pk: int):
    found = qs.filter(pk=pk).first()
    if found is None:
        raise NotFound("object")
    return found


@router.get("/me", response=UserOut, tags=["users"])
def me(request: HttpRequest):
    """The user the token acts as."""
    return request.auth


@router.get("/users", response=Page[UserOut], tags=["users"])
def list_users(request: HttpRequest, cursor: Cursor | None = None, limit: Limit = 100):
    return paginate(user_list(user=request.auth), cursor=cursor, limit=limit,
                    newest_first=False)


@router.get("/tasks", response=Page[TaskOut])
def list_tasks(request: HttpRequest, filters: Query[TaskFilters], cursor: Cursor | None = None,
               limit: Limit = 50):
    """The user's tasks and those on deals the user may see."""
    qs = task_list(user=request.auth, assignee_id=filters.assignee_id, done=filters.done)
    if filters.deal_id:
        qs = qs.filter(deal=deal_get(user=request.auth, pk=filters.deal_id))
    return paginate(qs, cursor=cursor, limit=limit)


@router.post("/tasks", response={201: TaskOut})
def create_task(request: HttpRequest, payload: TaskIn):
    assignee = None
    if payload.assignee_id:
        assignee = user_list(user=request.auth).filter(pk=payload.assignee_id).first()
        if assignee is None:
            raise ValidationError({"assignee_id": _("Not found.")})
    task = services.task_create(actor=request.auth, text=payload.text, due_at=payload.due_at,
                                assignee=assignee, kind=payload.kind,
                                **_subjects(request, payload))
    return Status(201, task)


@router.get("/tasks/{id}", response=TaskOut)
def get_task(request: HttpRequest, id: Id):
    return _one(task_list(user=request.auth), id)


@router.post("/tasks/{id}/complete", response=TaskOut)
def complete_task(request: HttpRequest, id: Id, payload: CompleteIn):
    """Mark done with the result; a done task of a kind may be the fact a stage waits for."""
    task = _one(task_list(user=request.auth), id)
    return services.task_complete(task=task, actor=request.auth, result=payload.result)


@router.get("/notes", response=Page[NoteOut])
def list_notes(request: HttpRequest, subject: Query[SubjectIn], cursor: Cursor | None = None,
               limit: Limit = 50):
    """Notes of one deal, contact or company (name exactly one)."""
    found = {k: v for k, v in _subjects(request, subject).items() if v is not None}
    if len(found) != 1:
        raise ValidationError({"deal_id": _("Name exactly one of deal_id, contact_id, "
                                            "company_id.")})
    (name, obj), = found.items()
    return paginate(obj.notes.all(), cursor=cursor, limit=limit)


@router.post("/notes", response={201: NoteOut})
def create_note(request: HttpRequest, payload: NoteIn):
    return Status(201, services.note_create(actor=request.auth, text=payload.text,
                                            **_subjects(request, payload)))


@router.get("/calls", response=Page[CallOut])
def list_calls(request: HttpRequest, cursor: Cursor | None = None, limit: Limit = 50):
    return paginate(call_list(user=request.auth), cursor=cursor, limit=limit)


@router.post("/calls", response={201: CallOut})
def log_call(request: HttpRequest, payload: CallIn):
    """Log a call; it keeps the stage its deal is on now."""
    subjects = _subjects(request, payload)
    call = services.call_log(actor=request.auth, direction=payload.direction,
                             phone=payload.phone, started_at=payload.started_at,
                             duration_seconds=payload.duration_seconds,
                             answered=payload.answered, recording_url=payload.recording_url,
                             deal=subjects["deal"], contact=subjects["contact"])
    return Status(201, call)


@router.get("/calls/{id}", response=CallOut)
def get_call(request: HttpRequest, id: Id):
    return _one(call_list(user=request.auth), id)


