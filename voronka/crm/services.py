"""Write use cases for companies and contacts; every field change is audited."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.core.audit import record_changes, snapshot
from voronka.core.errors import NotFound, PermissionDenied, ValidationError
from voronka.core.normalize import InvalidValue, normalize_email, normalize_phone
from voronka.core.numbers import ascii_digits
from voronka.core.transactions import service

from . import selectors
from .models import Company, Contact, ContactEmail, ContactPhone

COMPANY_FIELDS = ("name", "inn", "website", "address", "owner")
CONTACT_FIELDS = ("full_name", "position", "company", "owner")


def _can_write(actor: User | None) -> None:
    if actor is not None and not actor.can_write:
        raise PermissionDenied(_("You may not change contacts and companies."))


def _can_change(actor: User | None, obj: Company | Contact) -> None:
    """Writers may change only the contacts and companies they may see (crm.selectors), so a
    manager cannot rewrite another manager's client by its id."""
    _can_write(actor)
    if actor is None or actor.is_admin:
        return
    get = selectors.contact_get if isinstance(obj, Contact) else selectors.company_get
    try:
        get(user=actor, pk=obj.pk)
    except NotFound as exc:
        raise PermissionDenied(_("You may not change this contact or company.")) from exc


def _required(value: str, field: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: _("This field is required.")})
    if len(value) > limit:
        raise ValidationError({field: _("At most %(n)d characters.") % {"n": limit}})
    return value


def _clean_inn(inn: str) -> str:
    inn = (inn or "").strip()
    if inn and (not ascii_digits(inn) or len(inn) not in (10, 12)):
        raise ValidationError({"inn": _("An INN has 10 or 12 digits.")})
    return inn


def _duplicates(found: Iterable[Company | Contact]) -> None:
    """Refuse a new record when the user already sees one with the same phone, e-mail, INN
    or company name; the message names them, and the caller may insist (``allow_duplicate``):
    two people may share an office phone."""
    names = sorted({str(obj) for obj in found})
    if names:
        raise ValidationError({"duplicate": _(
            "Already in the CRM: %(names)s. Open it instead, or tick “Save as a new one”.")
            % {"names": ", ".join(_("“%(name)s”") % {"name": n} for n in names[:5])}})


@service
def company_create(*, actor: User | None, name: str, inn: str = "", website: str = "",
                   address: str = "", owner: User | None = None,
                   created_at: datetime | None = None,
                   allow_duplicate: bool = True) -> Company:
    """Create a company. ``created_at`` is a past time from a trusted caller (demo, import).
    ``allow_duplicate=False`` (the forms): refused if the user sees a company of the same
    name (any case) or INN."""
    _can_write(actor)
    name, inn = _required(name, "name", 300), _clean_inn(inn)
    if not allow_duplicate and actor is not None:
        _duplicates(selectors.company_duplicates(user=actor, name=name, inn=inn))
    return Company.objects.create(
        name=name, inn=inn, website=(website or "").strip(),
        address=(address or "").strip(), owner=owner or actor,
        created_at=created_at or timezone.now())


@service
def company_update(*, company: Company, actor: User | None, **changes) -> Company:
    _can_change(actor, company)
    unknown = set(changes) - set(COMPANY_FIELDS)
    if unknown:
        raise ValidationError({n: _("This field cannot be changed here.") for n in unknown})
    before = snapshot(company, COMPANY_FIELDS)
    if "name" in changes:
        company.name = _required(changes["name"], "name", 300)
    if "inn" in changes:
        company.inn = _clean_inn(changes["inn"])
    for name in ("website", "address"):
        if name in changes:
            setattr(company, name, (changes[name] or "").strip())
    if "owner" in changes:
        company.owner = changes["owner"]
    company.save()
    record_changes(entity="company", object_id=company.pk, before=before,
                   after=snapshot(company, COMPANY_FIELDS), user=actor)
    return company


def _clean_phones(phones: Iterable[str]) -> list[str]:
    out: list[str] = []
    for i, raw in enumerate(phones):
        try:
            number = normalize_phone(raw)
        except InvalidValue as exc:
            raise ValidationError({f"phones.{i}": str(exc)}) from exc
        if number not in out:
            out.append(number)
    return out


def _clean_emails(emails: Iterable[str]) -> list[str]:
    out: list[str] = []
    for i, raw in enumerate(emails):
        try:
            email = normalize_email(raw)
        except InvalidValue as exc:
            raise ValidationError({f"emails.{i}": str(exc)}) from exc
        if email not in out:
            out.append(email)
    return out


@service
def contact_create(*, actor: User | None, full_name: str, phones: Iterable[str] = (),
                   emails: Iterable[str] = (), position: str = "",
                   company: Company | None = None, owner: User | None = None,
                   created_at: datetime | None = None,
                   allow_duplicate: bool = True) -> Contact:
    """Create a contact; phones are stored in E.164 and e-mails lower-cased.
    ``created_at`` is a past time from a trusted caller (demo, import).
    ``allow_duplicate=False`` (the forms): refused if the user sees a contact with one of
    these phones or e-mails."""
    _can_write(actor)
    name = _required(full_name, "full_name", 300)
    phone_list, email_list = _clean_phones(phones), _clean_emails(emails)
    if not allow_duplicate and actor is not None:
        _duplicates(selectors.contact_duplicates(user=actor, phones=phone_list,
                                                 emails=email_list))
    contact = Contact.objects.create(full_name=name, position=(position or "").strip()[:200],
                                     company=company, owner=owner or actor,
                                     created_at=created_at or timezone.now())
    ContactPhone.objects.bulk_create([ContactPhone(contact=contact, number=n) for n in phone_list])
    ContactEmail.objects.bulk_create([ContactEmail(contact=contact, email=e) for e in email_list])
    return contact


def _phones_and_emails(contact: Contact) -> dict[str, str]:
    # In a fixed order, so the audit text does not depend on the database's row order (an
    # unordered read could record a "change" that is only a reshuffle).
    return {
        "phones": ", ".join(contact.phones.order_by("id").values_list("number", flat=True)),
        "emails": ", ".join(contact.emails.order_by("id").values_list("email", flat=True)),
    }


@service
def contact_update(*, contact: Contact, actor: User | None, phones: Iterable[str] | None = None,
                   emails: Iterable[str] | None = None, **changes) -> Contact:
    _can_change(actor, contact)
    unknown = set(changes) - set(CONTACT_FIELDS)
    if unknown:
        raise ValidationError({n: _("This field cannot be changed here.") for n in unknown})
    before = snapshot(contact, CONTACT_FIELDS)
    before.update(_phones_and_emails(contact))
    if "full_name" in changes:
        contact.full_name = _required(changes["full_name"], "full_name", 300)
    if "position" in changes:
        contact.position = (changes["position"] or "").strip()[:200]
    for name in ("company", "owner"):
        if name in changes:
            setattr(contact, name, changes[name])
    contact.save()
    if phones is not None:
        numbers = _clean_phones(phones)
        contact.phones.exclude(number__in=numbers).delete()
        have = set(contact.phones.values_list("number", flat=True))
        ContactPhone.objects.bulk_create(
            [ContactPhone(contact=contact, number=n) for n in numbers if n not in have])
    if emails is not None:
        addresses = _clean_emails(emails)
        contact.emails.exclude(email__in=addresses).delete()
        have = set(contact.emails.values_list("email", flat=True))
        ContactEmail.objects.bulk_create(
            [ContactEmail(contact=contact, email=e) for e in addresses if e not in have])
    after = snapshot(contact, CONTACT_FIELDS)
    after.update(_phones_and_emails(contact))
    record_changes(entity="contact", object_id=contact.pk, before=before, after=after,
                   user=actor)
    return contact
