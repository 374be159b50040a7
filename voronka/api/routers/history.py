"""Read-only history: the transition log, the deal timeline; and payments."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.responses import Status

from voronka.api.pagination import Cursor, Limit, Page, paginate
from voronka.api.schemas import PaymentOut, TransitionOut
from voronka.api.types import Day, Id, ShortText
from voronka.deals.selectors import deal_get, deal_timeline, transition_list
from voronka.deals.services import payment_create

router = Router(tags=["history"])


class TimelineEntryOut(Schema):
    at: datetime.datetime
    kind: str
    user: str
    summary: dict[str, Any]


class TransitionFilters(Schema):
    pipeline_id: Id | None = None
    deal_id: Id | None = None


class PaymentIn(Schema):
    amount: Decimal
    paid_on: Day | None = None
    reference: ShortText = ""


@router.get("/transitions", response=Page[TransitionOut])
def list_transitions(request: HttpRequest, filters: Query[TransitionFilters],
                     cursor: Cursor | None = None, limit: Limit = 100):
    """The fact table: every stage change of the deals the user may see, oldest first."""
    deal = deal_get(user=request.auth, pk=filters.deal_id) if filters.deal_id else None
    qs = transition_list(user=request.auth, deal=deal, pipeline_id=filters.pipeline_id)
    return paginate(qs, cursor=cursor, limit=limit, newest_first=False)


@router.get("/deals/{id}/transitions", response=list[TransitionOut])
def deal_transitions(request: HttpRequest, id: Id):
    deal = deal_get(user=request.auth, pk=id)
    return list(transition_list(user=request.auth, deal=deal).order_by("at", "id"))


@router.get("/deals/{id}/timeline", response=list[TimelineEntryOut])
def timeline(request: HttpRequest, id: Id):
    """Moves, tasks, notes, calls, payments and field changes merged, newest first."""
    return deal_timeline(user=request.auth, deal=deal_get(user=request.auth, pk=id))


@router.get("/deals/{id}/payments", response=list[PaymentOut])
def list_payments(request: HttpRequest, id: Id):
    return list(deal_get(user=request.auth, pk=id).payments.all())


@router.post("/deals/{id}/payments", response={201: PaymentOut})
def add_payment(request: HttpRequest, id: Id, payload: PaymentIn):
    deal = deal_get(user=request.auth, pk=id)
    return Status(201, payment_create(deal=deal, amount=payload.amount, paid_on=payload.paid_on,
                                      reference=payload.reference, actor=request.auth))
