"""Export of deals (with custom fields), contacts, companies and the transition log to CSV
or XLSX, through the scoped selectors: a user exports exactly what they may see.

Deal, contact and company columns are the import template's own names, so an export imports
back as it is; the transition log's ``deal_id, from_stage, to_stage, at`` read as a stage
history file."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import IO

from django.utils import timezone
from django.utils.translation import gettext_lazy

from voronka.accounts.models import User
from voronka.core import cells
from voronka.crm import selectors as crm_selectors
from voronka.crm.models import Company, Contact, ContactEmail, ContactPhone
from voronka.deals import selectors as deal_selectors
from voronka.deals.models import Deal, DealContact, Transition
from voronka.pipelines.models import CustomField

from .mapping import CUSTOM_PREFIX, UTM

KINDS = ("deals", "contacts", "companies", "transitions")
KIND_LABELS = {"deals": gettext_lazy("Deals"), "contacts": gettext_lazy("Contacts"),
               "companies": gettext_lazy("Companies"),
               "transitions": gettext_lazy("Stage history (every move)")}
CHUNK = 2000


def _when(value) -> str:
    if value is None:
        return ""
    return timezone.localtime(value).isoformat(sep=" ", timespec="seconds")


def _user(user: User | None) -> str:
    return user.email if user else ""


def _scoped(kind: str, user: User | None):
    """Everything for the system (``user=None``: the command line), else what the user sees."""
    if kind == "deals":
        qs = (Deal.objects.select_related("pipeline", "stage", "owner", "company",
                                          "loss_reason")
              if user is None else deal_selectors.deal_list(user=user))
    elif kind == "contacts":
        qs = (Contact.objects.select_related("company", "owner") if user is None
              else crm_selectors.contact_list(user=user))
    elif kind == "companies":
        qs = (Company.objects.select_related("owner") if user is None
              else crm_selectors.company_list(user=user))
    else:
        qs = (Transition.objects.select_related("from_stage", "to_stage", "by")
              if user is None else deal_selectors.transition_list(user=user))
        qs = qs.select_related("pipeline", "owner", "loss_reason")
    return qs.order_by("id")


def _chunks(qs) -> Iterator[list]:
    last = 0
    while True:
        batch = list(qs.filter(id__gt=last)[:CHUNK])
        if not batch:
            return
        yield batch
        last = batch[-1].pk


def _contact_keys(contact_ids: Iterable[int]) -> tuple[dict, dict]:
    ids = list(contact_ids)
    phones: dict[int, list[str]] = {}
    emails: dict[int, list[str]] = {}
    for cid, number in ContactPhone.objects.filter(contact_id__in=ids).order_by("id") \
            .values_list("contact_id", "number"):
        phones.setdefault(cid, []).append(number)
    for cid, email in ContactEmail.objects.filter(contact_id__in=ids).order_by("id") \
            .values_list("contact_id", "email"):
        emails.setdefault(cid, []).append(email)
    return phones, emails


def deal_rows(user: User | None) -> Iterator[list[str]]:
    qs = _scoped("deals", user)
    codes = list(CustomField.objects.filter(pipeline_id__in=qs.values("pipeline_id"))
                 .order_by("code").values_list("code", flat=True).distinct())
    yield ["id", "title", "pipeline", "stage", "status", "owner", "budget", "created_at",
           "closed_at", "expected_close_date", "loss_reason", "loss_comment", "source", *UTM,
           "company", "company_inn", "contact", "contact_phone", "contact_email",
           "contact_position", *[CUSTOM_PREFIX + c for c in codes]]
    for batch in _chunks(qs):
        links: dict[int, Contact] = {}
        for link in (DealContact.objects.filter(deal_id__in=[d.pk for d in batch])
                     .select_related("contact").order_by("id")):
            links.setdefault(link.deal_id, link.contact)
        phones, emails = _contact_keys(c.pk for c in links.values())
        for d in batch:
            c = links.get(d.pk)
            yield [str(d.pk), d.title, d.pipeline.name, d.stage.name, d.status,
                   _user(d.owner), f"{d.budget:.2f}", _when(d.created_at), _when(d.closed_at),
                   d.expected_close_date.isoformat() if d.expected_close_date else "",
                   d.loss_reason.name if d.loss_reason else "", d.loss_comment, d.source,
                   *[getattr(d, u) for u in UTM],
                   d.company.name if d.company else "", d.company.inn if d.company else "",
                   c.full_name if c else "", ", ".join(phones.get(c.pk, [])) if c else "",
                   ", ".join(emails.get(c.pk, [])) if c else "", c.position if c else "",
                   *[_custom(d.custom_fields.get(code)) for code in codes]]


def _custom(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def contact_rows(user: User | None) -> Iterator[list[str]]:
    yield ["id", "full_name", "phone", "email", "position", "company", "owner", "created_at"]
    for batch in _chunks(_scoped("contacts", user)):
        phones, emails = _contact_keys(c.pk for c in batch)
        for c in batch:
            yield [str(c.pk), c.full_name, ", ".join(phones.get(c.pk, [])),
                   ", ".join(emails.get(c.pk, [])), c.position,
                   c.company.name if c.company else "", _user(c.owner), _when(c.created_at)]


def company_rows(user: User | None) -> Iterator[list[str]]:
    yield ["id", "name", "inn", "website", "address", "owner", "created_at"]
    for batch in _chunks(_scoped("companies", user)):
        for c in batch:
            yield [str(c.pk), c.name, c.inn, c.website, c.address, _user(c.owner),
                   _when(c.created_at)]


def transition_rows(user: User | None) -> Iterator[list[str]]:
    yield ["id", "deal_id", "pipeline", "kind", "from_stage", "to_stage", "at", "by", "owner",
           "seconds_in_stage", "loss_reason", "comment"]
    for batch in _chunks(_scoped("transitions", user)):
        for t in batch:
            yield [str(t.pk), str(t.deal_id), t.pipeline.name, t.kind,
                   t.from_stage.name if t.from_stage else "", t.to_stage.name, _when(t.at),
                   _user(t.by), _user(t.owner), str(t.seconds_in_stage),
                   t.loss_reason.name if t.loss_reason else "", t.comment]


ROWS = {"deals": deal_rows, "contacts": contact_rows, "companies": company_rows,
        "transitions": transition_rows}


def export_to(out: IO[bytes], *, kind: str, fmt: str, user: User | None) -> int:
    """Write the export to a binary stream; returns the number of data rows."""
    rows = ROWS[kind](user)
    n = -1
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(kind)
        for n, row in enumerate(rows):  # noqa: B007
            sheet.append(cells.xlsx_row(sheet, row))
        book.save(out)
        return n
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text)
    for n, row in enumerate(rows):  # noqa: B007
        writer.writerow(cells.csv_row(row))
    text.flush()
    text.detach()
    return n
