"""Deals: list with filters, create, read, update. Stage changes are in deal_actions."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from voronka.accounts.selectors import user_list
from voronka.api.pagination import Cursor, Limit, Page, paginate
from voronka.api.schemas import DealOut
from voronka.api.types import Day, Id, JsonObject, ShortText, SourceText
from voronka.core.errors import NotFound, ValidationError
from voronka.crm.models import ContactRole
from voronka.crm.selectors import company_get, contact_get
from voronka.deals.selectors import deal_get, deal_list
from voronka.deals.services import deal_create, deal_update
from voronka.pipelines.models import Stage
from voronka.pipelines.selectors import pipeline_get

router = Router(tags=["deals"])

Role = Literal[tuple(ContactRole.values)]  # type: ignore[valid-type]


class DealFilters(Schema):
    pipeline_id: Id | None = None
    status: Literal["open", "won", "lost", "closed"] | None = Field(
        None, description="\"closed\": won or lost.")
    owner_id: Id | None = None
    team_id: Id | None = None
    source: SourceText | None = None
    search: ShortText | None = Field(None, description="In the title or the company name.")
    created_from: Day | None = None
    created_to: Day | None = None
    stage_id: Id | None = Field(None, description="The stage the deal is on now.")
    onwards: bool = Field(False, description="With stage_id: that stage or a later one.")
    reached_stage_id: Id | None = Field(None, description=(
        "The furthest stage the deal ever reached is this one or a later one."))
    closed_from: Day | None = None
    closed_to: Day | None = None


class DealContactIn(Schema):
    contact_id: Id
    role: Role = "other"


class DealCreateIn(Schema):
    title: ShortText
    pipeline_id: Id
    stage_id: Id | None = Field(None, description="Start further on: the facts of every "
                                                  "earlier stage must hold.")
    owner_id: Id | None = Field(None, description="Defaults to the token's user.")
    budget: Decimal = Decimal("0")
    company_id: Id | None = None
    contacts: list[DealContactIn] = Field(default_factory=list, max_length=50)
    source: SourceText = ""
    utm_source: ShortText = ""
    utm_medium: ShortText = ""
    utm_campaign: ShortText = ""
    utm_term: ShortText = ""
    utm_content: ShortText = ""
    expected_close_date: Day | None = None
    custom_fields: JsonObject = Field(default_factory=dict)


class DealUpdateIn(Schema):
    expected_version: int | None = Field(None, ge=1, le=2**31 - 1, description=(
        "The version you read; a newer one on the server answers 409."))
    title: ShortText | None = None
    budget: Decimal | None = None
    owner_id: Id | None = None
    company_id: Id | None = None
    source: SourceText | None = None
    utm_source: ShortText | None = None
    utm_medium: ShortText | None = None
    utm_campaign: ShortText | None = None
    utm_term: ShortText | None = None
    utm_content: ShortText | None = None
    expected_close_date: Day | None = None
    custom_fields: JsonObject | None = None


def resolve(field: str, load, *args, **kwargs):
    """An object named in the body; one the user cannot see is an error on that field."""
    try:
        return load(*args, **kwargs)
    except NotFound as exc:
        raise ValidationError({field: _("Not found.")}) from exc


def _owner(request: HttpRequest, owner_id: int):
    return resolve("owner_id", lambda: _get_user(request.auth, owner_id))


def _get_user(user, pk: int):
    found = user_list(user=user).filter(pk=pk).first()
    if found is None:
        raise NotFound("user")
    return found


@router.get("/deals", response=Page[DealOut])
def list_deals(request: HttpRequest, filters: Query[DealFilters], cursor: Cursor | None = None,
               limit: Limit = 50):
    """Deals the token's user may see, newest first."""
    qs = deal_list(user=request.auth, **filters.dict(exclude_none=True))
    return paginate(qs.prefetch_related("deal_contacts"), cursor=cursor, limit=limit)


@router.post("/deals", response={201: DealOut})
def create_deal(request: HttpRequest, payload: DealCreateIn):
    """Create a deal on the first stage (or on ``stage_id`` if the earlier facts hold)."""
    user = request.auth
    pipeline = resolve("pipeline_id", pipeline_get, user=user, pk=payload.pipeline_id)
    stage = None
    if payload.stage_id is not None:
        stage = Stage.objects.filter(pipeline=pipeline, pk=payload.stage_id).first()
        if stage is None:
            raise ValidationError({"stage_id": _("The stage is not in this pipeline.")})
    contacts = [(resolve(f"contacts.{i}.contact_id", contact_get, user=user, pk=c.contact_id),
                 c.role) for i, c in enumerate(payload.contacts)]
    deal = deal_create(
        actor=user, pipeline=pipeline, title=payload.title, stage=stage,
        owner=_owner(request, payload.owner_id) if payload.owner_id else None,
        budget=payload.budget,
        company=(resolve("company_id", company_get, user=user, pk=payload.company_id)
                 if payload.company_id else None),
        contacts=contacts, source=payload.source,
        utm={k: getattr(payload, k) for k in ("utm_source", "utm_medium", "utm_campaign",
                                               "utm_term", "utm_content") if getattr(payload, k)},
        expected_close_date=payload.expected_close_date, custom_fields=payload.custom_fields)
    return Status(201, deal_get(user=user, pk=deal.pk))


@router.get("/deals/{id}", response=DealOut)
def get_deal(request: HttpRequest, id: Id):
    return deal_get(user=request.auth, pk=id)


@router.patch("/deals/{id}", response=DealOut)
def update_deal(request: HttpRequest, id: Id, payload: DealUpdateIn):
    """Change a deal's own fields (never its stage: use move, win, archive, reopen)."""
    user = request.auth
    deal = deal_get(user=user, pk=id)
    changes = payload.dict(exclude_unset=True)
    expected = changes.pop("expected_version", None)
    if "owner_id" in changes:
        owner_id = changes.pop("owner_id")
        if owner_id is None:
            raise ValidationError({"owner_id": _("This field is required.")})
        changes["owner"] = _owner(request, owner_id)
    if "company_id" in changes:
        company_id = changes.pop("company_id")
        changes["company"] = (resolve("company_id", company_get, user=user, pk=company_id)
                              if company_id else None)
    for name in ("title", "budget", "source", "utm_source", "utm_medium", "utm_campaign",
                 "utm_term", "utm_content"):
        if name in changes and changes[name] is None:
            changes[name] = "" if name != "budget" else Decimal("0")
    deal_update(deal=deal, actor=user, expected_version=expected, **changes)
    return deal_get(user=user, pk=id)


