"""Contacts (several phones in E.164, several e-mails) and companies."""

from __future__ import annotations

import datetime

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field

from voronka.api.pagination import Cursor, Limit, Page, paginate
from voronka.api.types import Id, ShortText
from voronka.crm import services
from voronka.crm.selectors import company_get, company_list, contact_get, contact_list

from .deals import resolve

router = Router(tags=["contacts and companies"])

Phones = list[ShortText]


class CompanyOut(Schema):
    id: int
    name: str
    inn: str
    website: str
    address: str
    owner_id: int | None
    created_at: datetime.datetime


class CompanyIn(Schema):
    name: ShortText
    inn: ShortText = ""
    website: ShortText = ""
    address: ShortText = ""


class CompanyPatch(Schema):
    name: ShortText | None = None
    inn: ShortText | None = None
    website: ShortText | None = None
    address: ShortText | None = None


class ContactOut(Schema):
    id: int
    full_name: str
    position: str
    company_id: int | None
    owner_id: int | None
    phones: list[str]
    emails: list[str]
    created_at: datetime.datetime

    @staticmethod
    def resolve_phones(obj) -> list[str]:
        return [p.number for p in obj.phones.all()]

    @staticmethod
    def resolve_emails(obj) -> list[str]:
        return [e.email for e in obj.emails.all()]


class ContactIn(Schema):
    full_name: ShortText
    position: ShortText = ""
    company_id: Id | None = None
    phones: Phones = Field(default_factory=list, max_length=20,
                           description="Any format; stored in E.164.")
    emails: Phones = Field(default_factory=list, max_length=20)


class ContactPatch(Schema):
    full_name: ShortText | None = None
    position: ShortText | None = None
    company_id: Id | None = None
    phones: Phones | None = Field(None, max_length=20, description="Replaces the list.")
    emails: Phones | None = Field(None, max_length=20, description="Replaces the list.")


def _blank_none(changes: dict, *names: str) -> dict:
    for name in names:
        if name in changes and changes[name] is None:
            changes[name] = ""
    return changes


@router.get("/contacts", response=Page[ContactOut])
def list_contacts(request: HttpRequest, search: ShortText | None = None,
                  cursor: Cursor | None = None, limit: Limit = 50):
    """Contacts the user owns or meets on visible deals; search by name, phone, e-mail."""
    return paginate(contact_list(user=request.auth, search=search or ""), cursor=cursor,
                    limit=limit)


@router.post("/contacts", response={201: ContactOut})
def create_contact(request: HttpRequest, payload: ContactIn):
    company = (resolve("company_id", company_get, user=request.auth, pk=payload.company_id)
               if payload.company_id else None)
    contact = services.contact_create(actor=request.auth, full_name=payload.full_name,
                                      phones=payload.phones, emails=payload.emails,
                                      position=payload.position, company=company)
    return Status(201, contact_get(user=request.auth, pk=contact.pk))


@router.get("/contacts/{id}", response=ContactOut)
def get_contact(request: HttpRequest, id: Id):
    return contact_get(user=request.auth, pk=id)


@router.patch("/contacts/{id}", response=ContactOut)
def update_contact(request: HttpRequest, id: Id, payload: ContactPatch):
    contact = contact_get(user=request.auth, pk=id)
    changes = _blank_none(payload.dict(exclude_unset=True), "full_name", "position")
    if "company_id" in changes:
        company_id = changes.pop("company_id")
        changes["company"] = (resolve("company_id", company_get, user=request.auth,
                                      pk=company_id) if company_id else None)
    services.contact_update(contact=contact, actor=request.auth, **changes)
    return contact_get(user=request.auth, pk=id)


@router.get("/companies", response=Page[CompanyOut])
def list_companies(request: HttpRequest, search: ShortText | None = None,
                   cursor: Cursor | None = None, limit: Limit = 50):
    return paginate(company_list(user=request.auth, search=search or ""), cursor=cursor,
                    limit=limit)


@router.post("/companies", response={201: CompanyOut})
def create_company(request: HttpRequest, payload: CompanyIn):
    return Status(201, services.company_create(actor=request.auth, **payload.dict()))


@router.get("/companies/{id}", response=CompanyOut)
def get_company(request: HttpRequest, id: Id):
    return company_get(user=request.auth, pk=id)


@router.patch("/companies/{id}", response=CompanyOut)
def update_company(request: HttpRequest, id: Id, payload: CompanyPatch):
    company = company_get(user=request.auth, pk=id)
    changes = _blank_none(payload.dict(exclude_unset=True), "name", "inn", "website",
                          "address")
    services.company_update(company=company, actor=request.auth, **changes)
    return company_get(user=request.auth, pk=id)
