"""Processing a stored capture: normalise, match the contact, attach to their open deal or
create a deal for the next person in the distribution, keep source and UTM, set the
"classify the request" task; for telephony, log the call on the contact's open deal (with
the stage at call time), set a call-back task for a missed call, and turn an unknown number
into contact + deal + task. All in one transaction, or nothing."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from voronka.accounts.models import User
from voronka.activities.models import Task, TaskKind
from voronka.activities.services import call_log, note_create, task_create
from voronka.core.errors import ValidationError
from voronka.core.events import Subscriber
from voronka.core.events import probes as event_probes
from voronka.core.transactions import all_or_nothing
from voronka.crm.models import Company, Contact
from voronka.crm.services import company_create, contact_create, contact_update
from voronka.deals.models import Deal
from voronka.deals.services import deal_create

from . import events, locks
from .dedupe import contact_match, open_deal_for
from .distribution import pick_owner
from .fields import TARGETS, UTM, WEBHOOK_ONLY, CallData, Lead, build_call, build_lead, dig
from .models import Capture, Channel

Kind = Channel.Kind
Outcome = Capture.Outcome


class _AlreadyProcessed(Exception):
    pass


def capture_process(*, capture: Capture) -> Capture:
    """Turn a stored capture into contact, deal, task and call, in one transaction.

    Bad data marks the capture "invalid" with field-named errors and writes nothing else.
    The outcome is written only if the capture is still pending, so a capture processed
    twice at once (a double "process now") yields one deal: the second run rolls back.
    """
    if capture.outcome != Outcome.PENDING:
        return capture
    try:
        channel = capture.channel
        # Read and normalise the payload before any lock: it needs no database.
        call: CallData | None = None
        lead: Lead | None = None
        if channel.kind == Kind.TELEPHONY:
            call = build_call(capture.payload, channel.mapping)
            keys = locks.person_keys(phones=[call.client_phone])
        else:
            lead = _lead(channel, capture.payload)
            keys = locks.person_keys(phones=lead.phones, emails=lead.emails,
                                     company=lead.company or "")
        # Any error rolls the whole block back (nothing here recovers from a service's
        # error), so the services it calls take no savepoints of their own.
        with all_or_nothing():
            quiet = _begin(channel, keys)
            if call is not None:
                _process_call(capture, channel, call, quiet)
            elif lead is not None:
                _process_lead(capture, channel, lead, quiet)
            capture.processed_at = timezone.now()
            done = Capture.objects.filter(pk=capture.pk, outcome=Outcome.PENDING).update(
                outcome=capture.outcome, processed_at=capture.processed_at,
                deal=capture.deal, contact=capture.contact, task=capture.task,
                call=capture.call)
            if not done:
                raise _AlreadyProcessed
            return capture
    except _AlreadyProcessed:
        pass
    except ValidationError as exc:
        Capture.objects.filter(pk=capture.pk, outcome=Outcome.PENDING).update(
            outcome=Outcome.INVALID, errors=exc.errors, processed_at=timezone.now())
    capture.refresh_from_db()
    return capture


@dataclass(frozen=True)
class _Quiet:
    """What the event subscribers' probes (core.events) answered for the channel's pipeline
    in this transaction: those nobody listens to are skipped, the others get their answer
    (``hints``) to reuse."""

    pipeline_id: int
    subscribers: frozenset[Subscriber]
    hints: dict[Subscriber, Any]

    def on(self, deal: Deal | None) -> dict[str, Any]:
        """``silent`` and ``hints`` for an event about ``deal`` (another pipeline's deal:
        neither; its subscribers ask for themselves)."""
        if deal is not None and deal.pipeline_id == self.pipeline_id:
            return {"silent": self.subscribers, "hints": self.hints}
        return {"silent": frozenset(), "hints": None}


def _begin(channel: Channel, keys: list[int]) -> _Quiet:
    """The lead's first statement: on PostgreSQL it takes the person's locks (capture.locks)
    and, in the same statement, reads whether anyone listens to events in the channel's
    pipeline. Written out: its ORM form cost more Python than the statement costs."""
    conn = transaction.get_connection()
    probes = event_probes(conn, channel.pipeline_id)
    people = locks.people_sql(conn, keys)
    columns = [sql for _h, sql, _p in probes]
    params = [p for _h, _sql, ps in probes for p in ps]
    if people is not None:
        columns.append(people[0])
        params += people[1]
    answers: list[Any] = []
    if columns:
        with conn.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(columns)}", params)
            answers = list(cursor.fetchone())
    heard = {handler: answer for (handler, _sql, _p), answer
             in zip(probes, answers[:len(probes)], strict=True)}
    return _Quiet(channel.pipeline_id,
                  frozenset(h for h, answer in heard.items() if not answer),
                  {h: answer for h, answer in heard.items() if answer})


def _lead(channel: Channel, payload: Any) -> Lead:
    if not isinstance(payload, dict):
        raise ValidationError({"body": _("Send a JSON object or form fields.")})
    if channel.kind in (Kind.FORM, Kind.CALLBACK):
        values = {spec["target"]: (spec["name"], payload.get(spec["name"]))
                  for spec in channel.fields}
        required = {spec["target"] for spec in channel.fields if spec["required"]}
        # Hidden inputs a site may add to any form: where the visitor came from.
        for name in (*UTM, "source"):
            if name not in values and payload.get(name):
                values[name] = (name, payload.get(name))
    else:
        paths = channel.mapping or {}
        targets = set(TARGETS) | set(WEBHOOK_ONLY) | set(paths)
        values = {t: (paths.get(t, t), dig(payload, paths.get(t, t))) for t in targets}
        values = {t: v for t, v in values.items() if v[1] is not None or t in paths}
        required = set()
    lead = build_lead(values, required=required)
    lead.names = {target: name for target, (name, _raw) in values.items()}
    return lead


def _renamed(exc: ValidationError, names: dict[str, str]) -> ValidationError:
    """A service's error, keyed by the sender's field names where we know them."""
    aliases = {"budget": "budget", "title": "title", "full_name": "name", "name": "company"}
    out = {}
    for key, messages in exc.errors.items():
        target = ("custom." + key.split(".", 1)[1] if key.startswith("custom_fields.")
                  else aliases.get(key, key))
        out[names.get(target, key)] = messages
    return ValidationError(out)


def _say(user: User, message: str, **params: Any) -> str:
    """``message`` (marked with gettext_noop) in the assignee's language: the request came
    from a visitor, the text is read by the manager."""
    with translation.override(user.language or settings.LANGUAGE_CODE):
        return _(message) % params


def _task(channel: Channel, deal: Deal, quiet: _Quiet, *, kind: str, text: str) -> Task:
    due = timezone.now() + datetime.timedelta(minutes=channel.task_due_minutes)
    return task_create(actor=None, deal=deal, assignee=deal.owner, kind=kind, text=text,
                       due_at=due, **quiet.on(deal))


def _classify_task(channel: Channel, deal: Deal, quiet: _Quiet) -> Task:
    # Seed 002, stage 1: every new request gets a task, with a deadline, to classify it.
    text = _say(deal.owner, gettext_noop(
        # Translators: the task set on every new request; in Russian it starts with
        # "Классифицировать заявку".
        "Classify the request: set the budget and the type of work, then agree on the next "
        "step"))
    return _task(channel, deal, quiet, kind=TaskKind.OTHER, text=text)


def _callback_task(channel: Channel, deal: Deal, quiet: _Quiet, phone: str, *,
                   missed: bool) -> Task:
    if missed:
        text = _say(deal.owner, gettext_noop(
            # Translators: starts with "Договориться" (the method's wording for tasks).
            "Agree on the next step: call back %(phone)s after the missed call"), phone=phone)
    else:
        text = _say(deal.owner, gettext_noop(
            # Translators: starts with "Договориться" (the method's wording for tasks).
            "Agree on the next step: call back %(phone)s, who asked for a call"), phone=phone)
    return _task(channel, deal, quiet, kind=TaskKind.CALL, text=text)


def _company(lead: Lead, owner: User) -> Company | None:
    if not lead.company:
        return None
    name = lead.company[:300]
    return (Company.objects.filter(name__iexact=name).order_by("id").first()
            or company_create(actor=None, name=name, owner=owner))


def _enrich(contact: Contact, lead: Lead) -> None:
    """Add the lead's new phones and e-mails to the matched contact (audited)."""
    phones = list(contact.phones.values_list("number", flat=True))
    emails = list(contact.emails.values_list("email", flat=True))
    new_phones = [p for p in lead.phones if p not in phones]
    new_emails = [e for e in lead.emails if e not in emails]
    if new_phones or new_emails:
        contact_update(contact=contact, actor=None, phones=phones + new_phones,
                       emails=emails + new_emails)


def _process_lead(capture: Capture, channel: Channel, lead: Lead, quiet: _Quiet) -> None:
    who = lead.name or (lead.phones or lead.emails)[0]
    contact = contact_match(phones=lead.phones, emails=lead.emails)
    deal = None
    if contact is not None:
        locks.hold_contact(contact.pk)  # another lead may reach it by another phone
        deal = open_deal_for(contact, pipeline_id=channel.pipeline_id)
    try:
        if contact is not None:
            _enrich(contact, lead)
        if deal is None:
            owner = pick_owner(channel)
            company = _company(lead, owner)
            if contact is None:
                contact = contact_create(actor=None, full_name=who[:300], phones=lead.phones,
                                         emails=lead.emails, company=company, owner=owner)
            if lead.title:
                title = lead.title
            elif channel.kind == Kind.CALLBACK:
                title = _say(owner, gettext_noop("Callback request from %(who)s"), who=who)
            else:
                title = _say(owner, gettext_noop("Request from %(who)s"), who=who)
            deal = deal_create(
                actor=None, pipeline=channel.pipeline, title=title[:300], owner=owner,
                budget=lead.budget or "0", company=company, contacts=[(contact, "other")],
                source=(lead.source or channel.source)[:100], utm=lead.utm,
                custom_fields=lead.custom, silent=quiet.subscribers, hints=quiet.hints)
            capture.outcome = Outcome.CREATED
            capture.task = (_callback_task(channel, deal, quiet, lead.phones[0], missed=False)
                            if channel.kind == Kind.CALLBACK and lead.phones
                            else _classify_task(channel, deal, quiet))
        else:
            capture.outcome = Outcome.ATTACHED
            # A repeat request needs an answer too, but not a second open task.
            if not deal.tasks.filter(is_done=False).exists():
                capture.task = _classify_task(channel, deal, quiet)
    except ValidationError as exc:
        raise _renamed(exc, lead.names) from exc
    note = _note_text(channel, lead, deal, repeat=capture.outcome == Outcome.ATTACHED)
    if note:
        note_create(actor=None, deal=deal, text=note)
    capture.deal, capture.contact = deal, contact
    events.lead_captured(capture=capture, deal=deal,
                         created=capture.outcome == Outcome.CREATED, **quiet.on(deal))


def _note_text(channel: Channel, lead: Lead, deal: Deal, *, repeat: bool) -> str:
    parts = []
    if repeat:
        parts.append(_say(deal.owner, gettext_noop("Repeat request via “%(channel)s”."),
                          channel=channel.name))
    if lead.comment:
        parts.append(lead.comment)
    return "\n".join(parts)


def _process_call(capture: Capture, channel: Channel, call: CallData, quiet: _Quiet) -> None:
    contact = contact_match(phones=[call.client_phone], emails=[])
    deal = None
    if contact is not None:
        locks.hold_contact(contact.pk)
        deal = (open_deal_for(contact, pipeline_id=channel.pipeline_id)
                or open_deal_for(contact))
    created = False
    if deal is None and call.direction == "inbound":
        owner = pick_owner(channel)
        if contact is None:
            contact = contact_create(actor=None, full_name=call.client_phone,
                                     phones=[call.client_phone], owner=owner)
        deal = deal_create(actor=None, pipeline=channel.pipeline, owner=owner,
                           title=_say(owner, gettext_noop("Call from %(phone)s"),
                                      phone=call.client_phone),
                           contacts=[(contact, "other")],
                           source=(channel.source or "phone")[:100],
                           silent=quiet.subscribers, hints=quiet.hints)
        created = True
    user = deal.owner if deal is not None else (contact.owner if contact else None)
    missed = call.direction == "inbound" and not call.answered
    if missed:
        # The task first: the call's "call.missed" (call_log publishes it) names it.
        capture.task = _callback_task(channel, deal, quiet, call.client_phone, missed=True)
    elif created:
        capture.task = _classify_task(channel, deal, quiet)
    capture.call = call_log(
        actor=None, direction=call.direction, phone=call.client_phone,
        started_at=call.started_at, duration_seconds=call.duration_seconds,
        answered=call.answered, recording_url=call.recording_url, user=user, deal=deal,
        contact=contact, provider_call_id=call.provider_call_id, **quiet.on(deal),
        event_data={"capture_id": capture.pk,
                    "task_id": capture.task.pk if missed else None})
    capture.outcome = Outcome.CREATED if created else Outcome.CALL_LOGGED
    capture.deal, capture.contact = deal, contact
    if created:
        events.lead_captured(capture=capture, deal=deal, created=True,
                             **quiet.on(deal))
