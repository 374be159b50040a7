"""Providing a deal's missing exit facts in one go (the board's "missing facts" dialog): fill
fields, attach a company or a contact, confirm named facts, record a payment, complete open
tasks. All or nothing: a bad value anywhere writes nothing and names the field.

The move itself is a separate call (``deal_move``/``deal_win``) after this one commits, so a
user who filled three facts of four keeps them when the fourth still blocks the move.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.core.errors import ValidationError
from voronka.crm.models import Company, Contact, ContactRole
from voronka.pipelines.models import StageRequirement

from .models import Deal


@dataclass
class FactInputs:
    """What the user typed; empty values mean "not provided" and are skipped."""

    fields: dict[str, Any] = field(default_factory=dict)
    custom_fields: dict[str, Any] = field(default_factory=dict)
    company: Company | None = None
    new_company_name: str = ""
    contact: Contact | None = None
    new_contact_name: str = ""
    new_contact_phone: str = ""
    contact_role: str = ContactRole.OTHER
    confirm: list[StageRequirement] = field(default_factory=list)
    payment_amount: Any = None
    payment_date: datetime.date | None = None
    complete_tasks: dict[int, str] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not (self.fields or self.custom_fields or self.company or self.new_company_name
                    or self.contact or self.new_contact_name or self.confirm
                    or self.payment_amount or self.complete_tasks)


@transaction.atomic
def deal_facts_provide(*, deal: Deal, actor: User, inputs: FactInputs,
                       expected_version: int | None = None) -> Deal:
    """Apply ``inputs`` to ``deal`` in one transaction; returns the deal as now stored."""
    from voronka.activities.models import Task
    from voronka.activities.services import task_complete
    from voronka.crm.services import company_create, contact_create

    from .services import (
        deal_contact_attach,
        deal_fact_confirm,
        deal_update,
        payment_create,
    )

    changes: dict[str, Any] = dict(inputs.fields)
    company = inputs.company
    if company is None and inputs.new_company_name.strip():
        company = company_create(actor=actor, name=inputs.new_company_name)
    if company is not None:
        changes["company"] = company
    if inputs.custom_fields:
        changes["custom_fields"] = inputs.custom_fields
    if changes:
        deal = deal_update(deal=deal, actor=actor, expected_version=expected_version, **changes)
    contact = inputs.contact
    if contact is None and inputs.new_contact_name.strip():
        phones = [inputs.new_contact_phone] if inputs.new_contact_phone.strip() else []
        try:
            contact = contact_create(actor=actor, full_name=inputs.new_contact_name,
                                     phones=phones, company=deal.company)
        except ValidationError as exc:
            raise ValidationError({("new_contact_phone" if k.startswith("phones") else
                                    "new_contact_name" if k == "full_name" else k): v
                                   for k, v in exc.errors.items()}) from exc
    if contact is not None:
        deal_contact_attach(deal=deal, contact=contact, role=inputs.contact_role, actor=actor)
    for requirement in inputs.confirm:
        deal_fact_confirm(deal=deal, requirement=requirement, actor=actor)
    if inputs.payment_amount not in (None, ""):
        try:
            payment_create(deal=deal, amount=inputs.payment_amount, paid_on=inputs.payment_date,
                           actor=actor)
        except ValidationError as exc:
            # The dialog's own field names: payment_amount, payment_date.
            names = {"amount": "payment_amount", "paid_on": "payment_date"}
            raise ValidationError({names.get(k, k): v for k, v in exc.errors.items()}) from exc
    for task_id, result in inputs.complete_tasks.items():
        task = Task.objects.filter(pk=task_id, deal=deal, is_done=False).first()
        if task is None:
            raise ValidationError({f"task_{task_id}": _("The task is not open on this deal.")})
        task_complete(task=task, actor=actor, result=result)
    return deal


@transaction.atomic
def deal_quick_create(*, actor: User, pipeline, title: str, budget: Any = "0",
                      company: Company | None = None, new_company_name: str = "",
                      contact_name: str = "", contact_phone: str = "",
                      source: str = "") -> Deal:
    """The "+ Deal" form: a deal with, optionally, a new company and a contact person,
    created together or not at all. A phone that a contact the user may see already has
    links that contact instead of a second one (as capture and import match by phone)."""
    from voronka.core.normalize import InvalidValue, normalize_phone
    from voronka.crm.selectors import contact_by_phone
    from voronka.crm.services import company_create, contact_create

    from .services import deal_create

    if company is None and (new_company_name or "").strip():
        company = company_create(actor=actor, name=new_company_name)
    contacts = []
    known = None
    if (contact_phone or "").strip():
        try:
            known = contact_by_phone(user=actor, phone=normalize_phone(contact_phone))
        except InvalidValue as exc:  # with or without a contact name
            raise ValidationError({"contact_phone": str(exc)}) from exc
    if known is not None:
        contacts.append((known, ContactRole.DECISION_MAKER))
    elif (contact_name or "").strip():
        try:
            contact = contact_create(actor=actor, full_name=contact_name, company=company,
                                     phones=[contact_phone] if contact_phone.strip() else [])
        except ValidationError as exc:
            raise ValidationError({("contact_phone" if k.startswith("phones") else
                                    "contact_name" if k == "full_name" else k): v
                                   for k, v in exc.errors.items()}) from exc
        contacts.append((contact, ContactRole.DECISION_MAKER))
    return deal_create(actor=actor, pipeline=pipeline, title=title, budget=budget or "0",
                       company=company, contacts=contacts, source=source)
