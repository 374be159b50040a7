"""Validation of one row into a prepared record, or the reasons it is rejected.

A record carries only cleaned values (E.164 phones, Decimal money, aware datetimes, stage and
owner objects); nothing touches the database here except name lookups."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.core.errors import ValidationError
from voronka.core.normalize import InvalidValue, normalize_email, normalize_phone
from voronka.core.numbers import ascii_digits
from voronka.deals.services import parse_money
from voronka.pipelines.fields import FieldValueError, clean_custom_value
from voronka.pipelines.models import LossReason, Pipeline, Stage

from .lookups import Lookups
from .mapping import CUSTOM_PREFIX, UTM
from .values import CellError, parse_date, parse_datetime, status_of, word


@dataclass
class RowError:
    row: int  # the line in the file (the header is line 1)
    column: str  # the file's column header (or the target when no column is mapped)
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class PersonRef:
    """A contact as a row names it: dedupe keys first, then what a new contact gets."""

    full_name: str
    phones: list[str]
    emails: list[str]
    position: str = ""


@dataclass
class CompanyRef:
    name: str
    inn: str = ""
    website: str = ""
    address: str = ""


@dataclass
class Record:
    row: int
    external_id: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    company: CompanyRef | None = None
    contact: PersonRef | None = None
    history: list[tuple[Stage, Stage, datetime.datetime]] = field(default_factory=list)


class Row:
    """One data row with its mapping: reading a target's cell and collecting errors."""

    def __init__(self, number: int, cells: list[str], columns: dict[str, int],
                 mapping: dict[str, str]) -> None:
        self.number, self.cells, self.columns, self.mapping = number, cells, columns, mapping
        self.errors: list[RowError] = []

    def get(self, target: str) -> str:
        col = self.mapping.get(target)
        if not col:
            return ""
        i = self.columns.get(col)
        return self.cells[i].strip() if i is not None and i < len(self.cells) else ""

    def fail(self, target: str, reason: str) -> None:
        self.errors.append(RowError(self.number, self.mapping.get(target) or target, reason))

    def errors_for(self, target: str) -> bool:
        col = self.mapping.get(target) or target
        return any(e.column == col for e in self.errors)

    def text(self, target: str, limit: int, *, required: bool = False) -> str:
        value = self.get(target)
        if required and not value:
            self.fail(target, _("This field is required."))
        elif len(value) > limit:
            self.fail(target, _("At most %(n)d characters.") % {"n": limit})
            return value[:limit]
        return value

    def moment(self, target: str) -> datetime.datetime | None:
        try:
            return parse_datetime(self.get(target))
        except CellError as exc:
            self.fail(target, str(exc))
            return None

    def day(self, target: str) -> datetime.date | None:
        try:
            return parse_date(self.get(target))
        except CellError as exc:
            self.fail(target, str(exc))
            return None

    def owner(self, lookups: Lookups, default: User | None) -> User | None:
        text = self.get("owner")
        if not text:
            return default
        user = lookups.owner(text)
        if user is None:
            self.fail("owner", _("No user “%(value)s” (matched by e-mail or full name) who "
                                 "can own deals.") % {"value": text[:100]})
        return user

    def phones(self, *targets: str) -> list[str]:
        out: list[str] = []
        for target in targets:
            for part in self.get(target).replace(";", ",").split(","):
                if not part.strip():
                    continue
                try:
                    number = normalize_phone(part)
                except InvalidValue as exc:
                    self.fail(target, str(exc))
                    continue
                if number not in out:
                    out.append(number)
        return out

    def emails(self, *targets: str) -> list[str]:
        out: list[str] = []
        for target in targets:
            for part in self.get(target).replace(";", ",").split(","):
                if not part.strip():
                    continue
                try:
                    email = normalize_email(part)
                except InvalidValue as exc:
                    self.fail(target, str(exc))
                    continue
                if email not in out:
                    out.append(email)
        return out

    def inn(self, target: str) -> str:
        inn = self.get(target)
        if inn and (not ascii_digits(inn) or len(inn) not in (10, 12)):
            self.fail(target, _("An INN has 10 or 12 digits."))
        return inn


def company_ref(row: Row, name_target: str, inn_target: str | None = None) -> CompanyRef | None:
    name = row.text(name_target, 300)
    inn = row.inn(inn_target) if inn_target else ""
    if not name and not inn:
        return None
    if not name:
        row.fail(name_target, _("A company with a tax number needs a name."))
    return CompanyRef(name=name, inn=inn)


def deal_record(row: Row, lookups: Lookups, *, default_pipeline: Pipeline | None,
                default_owner: User | None) -> Record:
    rec = Record(row=row.number, external_id=row.text("external_id", 100))
    v = rec.values
    v["title"] = row.text("title", 300, required=True)
    pipeline = default_pipeline
    if row.get("pipeline"):
        pipeline = lookups.pipeline_named(row.get("pipeline"))
        if pipeline is None:
            row.fail("pipeline", _("No pipeline “%(value)s” you may import into.")
                     % {"value": row.get("pipeline")[:100]})
            return rec
    if pipeline is None:
        row.fail("pipeline", _("Choose a pipeline or map its column."))
        return rec
    info = lookups.info(pipeline)
    v["pipeline"], v["info"] = pipeline, info
    stage_text, status_text = row.get("stage"), row.get("status")
    stage = info.by_name.get(word(stage_text)) if stage_text else None
    status = status_of(status_text) if status_text else None
    if status_text and status is None:
        row.fail("status", _("“%(value)s” is not a status (open, won or lost).")
                 % {"value": status_text[:60]})
    if stage_text and stage is None:
        closing = status_of(stage_text)
        if closing in ("won", "lost"):
            status = status or closing
        else:
            row.fail("stage", _("No stage “%(value)s” in pipeline “%(pipeline)s”.")
                     % {"value": stage_text[:100], "pipeline": pipeline.name})
    v["status"] = status = status or "open"
    v["stage"] = stage
    v["owner"] = row.owner(lookups, default_owner)
    try:
        v["budget"] = parse_money(row.get("budget") or "0", "budget")
    except ValidationError as exc:
        row.fail("budget", str(exc.errors.get("budget", [exc])[0]))
    v["created_at"] = row.moment("created_at") or timezone.now()
    v["closed_at"] = row.moment("closed_at")
    v["expected_close_date"] = row.day("expected_close_date")
    v["source"] = row.text("source", 100)
    for u in UTM:
        v[u] = row.text(u, 200)
    v["loss_comment"] = row.text("loss_comment", 5000)
    reason: LossReason | None = None
    reason_text = row.get("loss_reason")
    if reason_text:
        reason = info.reasons.get(word(reason_text))
        if reason is None:
            row.fail("loss_reason", _("No loss reason “%(value)s” in pipeline “%(pipeline)s”.")
                     % {"value": reason_text[:100], "pipeline": pipeline.name})
    if status == "lost" and not reason_text:
        row.fail("loss_reason", _("A lost deal needs a loss reason."))
    v["loss_reason"] = reason if status == "lost" else None
    if status != "open" and v["closed_at"] is None and not row.errors_for("closed_at"):
        row.fail("closed_at", _("A closed deal needs the date it was closed."))
    if v["closed_at"] and v["closed_at"] < v["created_at"]:
        row.fail("closed_at", _("Closed before it was created."))
    if status == "open":
        v["closed_at"] = None
    custom: dict[str, Any] = {}
    for target in row.mapping:
        if not target.startswith(CUSTOM_PREFIX):
            continue
        code = target[len(CUSTOM_PREFIX):]
        fld = info.fields.get(code)
        if fld is None:
            row.fail(target, _("No custom field “%(code)s” in this pipeline.") % {"code": code})
            continue
        try:
            value = clean_custom_value(fld, row.get(target))
        except FieldValueError as exc:
            row.fail(target, str(exc))
            continue
        if value is not None:
            custom[code] = value
    v["custom_fields"] = custom
    rec.company = company_ref(row, "company", "company_inn")
    phones = row.phones("contact_phone", "contact_phone2")
    emails = row.emails("contact_email", "contact_email2")
    name = row.text("contact", 300)
    if name or phones or emails:
        rec.contact = PersonRef(full_name=name or (phones or emails)[0], phones=phones,
                                emails=emails, position=row.text("contact_position", 200))
    return rec


def contact_record(row: Row, lookups: Lookups, *, default_owner: User | None) -> Record:
    rec = Record(row=row.number, external_id=row.text("external_id", 100))
    name = row.get("full_name") or " ".join(
        p for p in (row.get("last_name"), row.get("first_name")) if p)
    phones = row.phones("phone", "phone2")
    emails = row.emails("email", "email2")
    name = name or (phones or emails or [""])[0]
    if not name:
        row.fail("full_name", _("This field is required."))
    elif len(name) > 300:
        row.fail("full_name", _("At most %(n)d characters.") % {"n": 300})
    rec.contact = PersonRef(full_name=name, phones=phones, emails=emails,
                            position=row.text("position", 200))
    rec.company = company_ref(row, "company")
    rec.values = {"owner": row.owner(lookups, default_owner),
                  "created_at": row.moment("created_at") or timezone.now()}
    return rec


def company_record(row: Row, lookups: Lookups, *, default_owner: User | None) -> Record:
    rec = Record(row=row.number, external_id=row.text("external_id", 100))
    rec.company = CompanyRef(name=row.text("name", 300, required=True), inn=row.inn("inn"),
                             website=row.text("website", 300), address=row.text("address", 500))
    rec.values = {"owner": row.owner(lookups, default_owner),
                  "created_at": row.moment("created_at") or timezone.now()}
    return rec
