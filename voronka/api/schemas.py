"""Output schemas shared by several routers."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from ninja import Schema


class DealContactOut(Schema):
    contact_id: int
    role: str


class DealOut(Schema):
    id: int
    title: str
    pipeline_id: int
    stage_id: int
    furthest_stage_id: int
    status: str
    budget: Decimal
    owner_id: int
    company_id: int | None
    contacts: list[DealContactOut]
    source: str
    utm_source: str
    utm_medium: str
    utm_campaign: str
    utm_term: str
    utm_content: str
    expected_close_date: datetime.date | None
    custom_fields: dict[str, Any]
    created_at: datetime.datetime
    stage_entered_at: datetime.datetime
    closed_at: datetime.datetime | None
    loss_reason_id: int | None
    loss_comment: str
    version: int

    @staticmethod
    def resolve_contacts(obj) -> list:
        return list(obj.deal_contacts.all())


class TransitionOut(Schema):
    id: int
    deal_id: int
    pipeline_id: int
    kind: str
    from_stage_id: int | None
    to_stage_id: int
    at: datetime.datetime
    by_id: int | None
    owner_id: int | None
    seconds_in_stage: int
    loss_reason_id: int | None
    comment: str


class PaymentOut(Schema):
    id: int
    deal_id: int
    amount: Decimal
    paid_on: datetime.date
    reference: str
    created_by_id: int | None
    created_at: datetime.datetime
