"""Write use cases for deals. Stage changes live in ``moves`` and are re-exported here."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from voronka.accounts.models import Role, User
from voronka.core import events
from voronka.core.audit import record_changes, snapshot
from voronka.core.errors import PermissionDenied, ValidationError
from voronka.core.normalize import clean_text
from voronka.core.transactions import service
from voronka.crm import selectors as crm_selectors
from voronka.crm.models import Company, Contact, ContactRole
from voronka.pipelines.fields import FieldValueError, clean_custom_value
from voronka.pipelines.models import CustomField, Pipeline, Stage, StageRequirement

from .gates import pipeline_layout
from .models import Deal, DealContact, DealFact, Payment, Transition
from .moves import (  # noqa: F401 - the moves are services of this app too
    deal_archive,
    deal_correct,
    deal_move,
    deal_reopen,
    deal_win,
    lock_for_change,
)
from .visibility import can_edit_deal, can_use_pipeline

MONEY_MAX = Decimal("999999999999.99")
PLAIN_FIELDS = ("title", "source", "utm_source", "utm_medium", "utm_campaign", "utm_term",
                "utm_content")
AUDITED_FIELDS = ("title", "budget", "owner", "company", "source", "utm_source", "utm_medium",
                  "utm_campaign", "utm_term", "utm_content", "expected_close_date")


def parse_money(raw: Any, field: str, *, allow_zero: bool = True) -> Decimal:
    """A money amount as Decimal with two places, or ValidationError naming ``field``."""
    if isinstance(raw, float | bool):
        raw = str(raw) if isinstance(raw, float) else "x"
    try:
        value = Decimal(str(raw).replace(" ", "").replace(",", ".")).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({field: _("Enter an amount of money.")}) from exc
    if not value.is_finite() or value < 0 or value > MONEY_MAX or (not allow_zero and not value):
        low = Decimal("0") if allow_zero else Decimal("0.01")
        raise ValidationError({field: _("Enter an amount from %(min)s to %(max)s.") % {
            "min": number_format(low, decimal_pos=2 if low else 0, use_l10n=True),
            "max": number_format(MONEY_MAX, decimal_pos=2, use_l10n=True,
                                 force_grouping=True)}})
    return value


def _clean_date(raw: Any, field: str) -> datetime.date | None:
    """A date (or an ISO "YYYY-MM-DD" string) or None, else ValidationError naming ``field``."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, datetime.date) and not isinstance(raw, datetime.datetime):
        return raw
    if isinstance(raw, str):
        try:
            return datetime.date.fromisoformat(raw.strip())
        except ValueError:
            pass
    raise ValidationError({field: _("Enter a date as YYYY-MM-DD.")})


def _clean_custom(pipeline: Pipeline, current: dict, changes: dict[str, Any]) -> dict:
    fields = {f.code: f for f in CustomField.objects.filter(pipeline=pipeline)}
    result, errors = dict(current or {}), {}
    for code, raw in changes.items():
        field = fields.get(code)
        if field is None:
            errors[f"custom_fields.{code}"] = _("No such field in this pipeline.")
            continue
        try:
            value = clean_custom_value(field, raw)
        except FieldValueError as exc:
            errors[f"custom_fields.{code}"] = str(exc)
            continue
        if value is None:
            result.pop(code, None)
        else:
            result[code] = value
    if errors:
        raise ValidationError(errors)
    return result


def _check_linkable(actor: User | None, *, company: Company | None = None,
                    contacts: list[Contact] | tuple[Contact, ...] = ()) -> None:
    """A deal may be linked only to a company and contacts the actor may see; an unseen one
    answers as if it did not exist."""
    if actor is None or actor.is_admin:
        return
    if company is not None and not crm_selectors.company_list(user=actor).filter(
            pk=company.pk).exists():
        raise ValidationError({"company": _("No such company.")})
    ids = {c.pk for c in contacts}
    if ids and crm_selectors.contact_list(user=actor).filter(pk__in=ids).count() != len(ids):
        raise ValidationError({"contacts": _("No such contact.")})


def _check_owner(actor: User | None, owner: User, pipeline: Pipeline) -> None:
    if not owner.can_write:
        raise ValidationError({"owner": _("This user cannot own deals.")})
    if actor is None or actor.is_admin:
        return
    if actor.role == Role.MANAGER and owner.pk != actor.pk:
        raise PermissionDenied(_("A manager can only own deals themself."))
    if actor.role == Role.HEAD and owner.team_id != actor.team_id:
        raise ValidationError({"owner": _("The owner must be in your team.")})


def _too_long(**values: str) -> dict[str, str]:
    """Errors for texts longer than their column (refused, not cut: the user typed them)."""
    errors = {}
    for name, value in values.items():
        limit = Deal._meta.get_field(name).max_length
        if len(value) > limit:
            errors[name] = _("At most %(n)d characters.") % {"n": limit}
    return errors


@service
def deal_create(
    *,
    actor: User | None,
    pipeline: Pipeline,
    title: str,
    owner: User | None = None,
    stage: Stage | None = None,
    budget: Any = Decimal("0"),
    company: Company | None = None,
    contacts: list[tuple[Contact, str]] | None = None,
    source: str = "",
    utm: dict[str, str] | None = None,
    expected_close_date: datetime.date | None = None,
    custom_fields: dict[str, Any] | None = None,
    created_at: datetime.datetime | None = None,
    silent: frozenset[events.Subscriber] = frozenset(),
    hints: dict[events.Subscriber, Any] | None = None,
) -> Deal:
    """Create a deal on the first stage (or on ``stage``, if every earlier stage's facts hold).
    ``silent``: event subscribers the caller's probe found not listening in ``pipeline`` in
    this transaction (core.events); "deal.created" skips them. ``hints``: the other probed
    subscribers' answers, handed on with the event."""
    if not can_use_pipeline(actor, pipeline):
        raise PermissionDenied(_("You may not create deals in this pipeline."))
    owner = owner or actor
    if owner is None:
        raise ValidationError({"owner": _("This field is required.")})
    _check_owner(actor, owner, pipeline)
    _check_linkable(actor, company=company, contacts=[c for c, _role in contacts or []])
    title = (title or "").strip()
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = _("This field is required.")
    source = (source or "").strip()
    errors.update(_too_long(title=title, source=source))
    utm = utm or {}
    unknown = set(utm) - {"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"}
    if unknown:
        errors[sorted(unknown)[0]] = _("Unknown UTM field.")
    if errors:
        raise ValidationError(errors)
    expected_close_date = _clean_date(expected_close_date, "expected_close_date")
    # The stages as every move reads them: one written-out statement, cheaper to run than
    # the ORM's first() (bench/capture.py).
    stages, _requirements = pipeline_layout(pipeline.pk)
    first = stages[0] if stages else None
    if first is None:
        raise ValidationError({"pipeline": _("The pipeline has no stages.")})
    if stage is not None and stage.pipeline_id != pipeline.pk:
        raise ValidationError({"stage": _("The stage is not in this pipeline.")})
    roles = _link_roles(contacts or [])
    now = created_at or timezone.now()
    deal = Deal.objects.create(
        title=title, pipeline=pipeline, stage=first, furthest_stage=first, owner=owner,
        budget=parse_money(budget, "budget"), company=company, source=source,
        expected_close_date=expected_close_date,
        # No custom values, no read of the pipeline's fields.
        custom_fields=_clean_custom(pipeline, {}, custom_fields) if custom_fields else {},
        created_at=now, created_by=actor, stage_entered_at=now,
        **{k: (v or "").strip()[:200] for k, v in utm.items()},
    )
    # A new deal has no links yet: one INSERT, nothing to look up first.
    DealContact.objects.bulk_create([DealContact(deal=deal, contact=contact, role=role)
                                     for contact, role in roles])
    Transition.objects.create(deal=deal, pipeline=pipeline, kind=Transition.Kind.CREATED,
                              from_stage=None, to_stage=first, at=now, by=actor,
                              owner=owner, budget=deal.budget)
    events.publish(events.DEAL_CREATED, deal=deal, actor=actor, silent=silent, hints=hints,
                   stage_id=first.pk, stage_entered_at=now)
    if stage is not None and stage.pk != first.pk:
        deal_move(deal=deal, to_stage=stage, actor=actor)
    return deal


@service
def deal_update(*, deal: Deal, actor: User | None, expected_version: int | None = None,
                at: datetime.datetime | None = None, **changes: Any) -> Deal:
    """Change a deal's own fields (never its stage or status); every change is audited.
    ``at`` is a past time from a trusted caller (demo, import); no view passes it."""
    locked = lock_for_change(deal, actor, expected_version)
    allowed = set(AUDITED_FIELDS) | {"custom_fields"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.")
                               for name in sorted(unknown)})
    before = snapshot(locked, AUDITED_FIELDS)
    before_custom = dict(locked.custom_fields or {})
    for name in PLAIN_FIELDS:
        if name in changes:
            value = (changes[name] or "").strip()
            if name == "title" and not value:
                raise ValidationError({"title": _("This field is required.")})
            if name in ("title", "source") and (errors := _too_long(**{name: value})):
                raise ValidationError(errors)
            setattr(locked, name, value[:200])  # UTM tags from links: kept, cut to the column
    if "budget" in changes:
        locked.budget = parse_money(changes["budget"], "budget")
    if "expected_close_date" in changes:
        locked.expected_close_date = _clean_date(changes["expected_close_date"],
                                                 "expected_close_date")
    if "company" in changes:
        if changes["company"] != locked.company:
            _check_linkable(actor, company=changes["company"])
        locked.company = changes["company"]
    if "owner" in changes and changes["owner"] != locked.owner:
        if actor is not None and actor.role == Role.MANAGER:
            raise PermissionDenied(_("Only a head of sales can hand a deal to someone else."))
        _check_owner(actor, changes["owner"], locked.pipeline)
        locked.owner = changes["owner"]
    if "custom_fields" in changes:
        locked.custom_fields = _clean_custom(locked.pipeline, before_custom,
                                             changes["custom_fields"] or {})
    locked.version += 1
    locked.save()
    now = at or timezone.now()
    changed = record_changes(entity="deal", object_id=locked.pk, before=before,
                             after=snapshot(locked, AUDITED_FIELDS), user=actor, at=now)
    keys = set(before_custom) | set(locked.custom_fields)
    changed += record_changes(entity="deal", object_id=locked.pk,
                              before={f"custom_fields.{k}": before_custom.get(k) for k in keys},
                              after={f"custom_fields.{k}": locked.custom_fields.get(k)
                                     for k in keys}, user=actor, at=now)
    events.publish_field_changes(deal=locked, changes=changed, actor=actor)
    if deal is not locked:
        deal.refresh_from_db()
    return locked


def _check_role(role: str) -> None:
    if role not in ContactRole.values:
        raise ValidationError({"role": _("Unknown contact role.")})


def _link_roles(contacts: list[tuple[Contact, str]]) -> list[tuple[Contact, str]]:
    """A new deal's links: one per contact, the last role given for it winning (as
    attaching them one by one would leave them)."""
    roles: dict[int, tuple[Contact, str]] = {}
    for contact, role in contacts:
        _check_role(role)
        roles[contact.pk] = (contact, role)  # keeps the first one's place
    return list(roles.values())


def _attach(deal: Deal, contact: Contact, role: str) -> DealContact:
    _check_role(role)
    link, created = DealContact.objects.get_or_create(deal=deal, contact=contact,
                                                      defaults={"role": role})
    if not created and link.role != role:
        link.role = role
        link.save(update_fields=["role"])
    return link


@service
def deal_contact_attach(*, deal: Deal, contact: Contact, role: str = ContactRole.OTHER,
                        actor: User | None) -> DealContact:
    if not can_edit_deal(actor, deal):
        raise PermissionDenied(_("You may not change this deal."))
    _check_linkable(actor, contacts=[contact])
    link = _attach(deal, contact, role)
    record_changes(entity="deal", object_id=deal.pk, before={"contacts": ""},
                   after={"contacts": f"+{contact.pk}:{contact} ({role})"}, user=actor)
    return link


@service
def deal_contact_detach(*, deal: Deal, contact: Contact, actor: User | None) -> None:
    if not can_edit_deal(actor, deal):
        raise PermissionDenied(_("You may not change this deal."))
    deleted, _n = DealContact.objects.filter(deal=deal, contact=contact).delete()
    if deleted:
        record_changes(entity="deal", object_id=deal.pk, before={"contacts": ""},
                       after={"contacts": f"-{contact.pk}:{contact}"}, user=actor)


@service
def deal_fact_confirm(*, deal: Deal, requirement: StageRequirement, actor: User,
                      comment: str = "", at: datetime.datetime | None = None) -> DealFact:
    """A user vouches for a named fact; who and when are recorded for good."""
    if actor is None or not can_edit_deal(actor, deal):
        raise PermissionDenied(_("You may not change this deal."))
    if (requirement.kind != StageRequirement.Kind.FACT_CONFIRMED
            or requirement.stage.pipeline_id != deal.pipeline_id):
        raise ValidationError({"requirement": _("This is not a fact of the deal's pipeline.")})
    comment = clean_text(comment, field="comment")
    fact, _created = DealFact.objects.get_or_create(
        deal=deal, requirement=requirement,
        defaults={"confirmed_by": actor, "comment": comment[:500],
                  "confirmed_at": at or timezone.now()})
    return fact


@service
def payment_create(*, deal: Deal, amount: Any, paid_on: datetime.date | None = None,
                   reference: str = "", actor: User | None,
                   created_at: datetime.datetime | None = None) -> Payment:
    """Record a payment. ``created_at`` (when it was entered) is for trusted callers only."""
    if not can_edit_deal(actor, deal):
        raise PermissionDenied(_("You may not change this deal."))
    if paid_on is not None and (not isinstance(paid_on, datetime.date)
                                or isinstance(paid_on, datetime.datetime)):
        raise ValidationError({"paid_on": _("Enter a date.")})
    entered = created_at or timezone.now()
    # Money not yet received must not pass a payment gate. A day of slack: the payer's
    # "today" may already be tomorrow in the server's time zone.
    if paid_on is not None and paid_on > timezone.localdate(entered) + datetime.timedelta(days=1):
        raise ValidationError({"paid_on": _("A payment cannot be dated in the future: record "
                                            "it when the money has arrived.")})
    payment = Payment.objects.create(
        deal=deal, amount=parse_money(amount, "amount", allow_zero=False),
        paid_on=paid_on or timezone.localdate(entered),
        reference=(reference or "").strip()[:200], created_by=actor, created_at=entered)
    events.publish(events.PAYMENT_RECORDED, deal=deal, actor=actor, payment_id=payment.pk,
                   amount=payment.amount)
    return payment
