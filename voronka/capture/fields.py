"""What a channel receives, turned into a lead or a call: form field specs, webhook field
mappings, normalisation (phones to E.164, e-mails lower-case) and field-named errors.

Errors are keyed by the name the sender used (the form input's name, the path in the
webhook's JSON), so whoever built the form or the integration sees which field is wrong.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.core.errors import ValidationError
from voronka.core.normalize import InvalidValue, normalize_email, normalize_phone
from voronka.core.numbers import ascii_digits, parse_int

UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
# Lead fields a form input or a webhook path can fill, with their default labels.
TARGETS: dict[str, Any] = {
    "name": gettext_lazy("Your name"),
    "phone": gettext_lazy("Phone"),
    "email": gettext_lazy("E-mail"),
    "company": gettext_lazy("Company"),
    "title": gettext_lazy("Subject"),
    "budget": gettext_lazy("Budget"),
    "comment": gettext_lazy("Message"),
    "source": gettext_lazy("Source"),
    **{name: name for name in UTM},
}
WEBHOOK_ONLY = ("provider_id",)
CALL_TARGETS = ("provider_call_id", "direction", "from", "to", "started_at", "duration",
                "recording_url", "status")
HONEYPOT = "website"
SUBMISSION = "_submission"
MAX_VALUE = 2000
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

DEFAULT_FORM = [
    {"name": "name", "label": "", "target": "name", "required": False},
    {"name": "phone", "label": "", "target": "phone", "required": False},
    {"name": "email", "label": "", "target": "email", "required": False},
    {"name": "comment", "label": "", "target": "comment", "required": False},
]
CALLBACK_FORM = [{"name": "phone", "label": "", "target": "phone", "required": True}]


@dataclass
class Lead:
    name: str = ""
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    company: str = ""
    title: str = ""
    budget: str = ""
    comment: str = ""
    source: str = ""
    utm: dict[str, str] = field(default_factory=dict)
    custom: dict[str, str] = field(default_factory=dict)
    provider_id: str = ""
    # Lead field → the name the sender used for it, to key errors found later.
    names: dict[str, str] = field(default_factory=dict)


@dataclass
class CallData:
    provider_call_id: str
    direction: str
    client_phone: str
    started_at: datetime.datetime
    duration_seconds: int
    recording_url: str
    answered: bool


def is_target(target: str, custom_codes: set[str]) -> bool:
    if target in TARGETS:
        return True
    return target.startswith("custom.") and target[7:] in custom_codes


def clean_form_fields(specs: Any, custom_codes: set[str]) -> list[dict[str, Any]]:
    """Check a form's field list (as configured by an administrator)."""
    if not isinstance(specs, list) or not specs:
        raise ValidationError({"fields": _("List at least one field.")})
    out, seen, errors = [], set(), {}
    for i, spec in enumerate(specs):
        if not isinstance(spec, dict):
            errors[f"fields.{i}"] = _("Each field is an object with name, target, label.")
            continue
        name, target = str(spec.get("name", "")).strip(), str(spec.get("target", "")).strip()
        if not NAME_RE.match(name) or name in (HONEYPOT, SUBMISSION):
            errors[f"fields.{i}.name"] = _("Use lower-case letters, digits and _.")
        elif name in seen:
            errors[f"fields.{i}.name"] = _("Each field needs its own name.")
        if not is_target(target, custom_codes):
            errors[f"fields.{i}.target"] = _("Unknown lead field.")
        seen.add(name)
        out.append({"name": name, "target": target, "label": str(spec.get("label", ""))[:200],
                    "required": bool(spec.get("required", False))})
    targets = {s["target"] for s in out}
    if not targets & {"phone", "email"}:
        errors["fields"] = _("A form needs a phone or an e-mail field.")
    if errors:
        raise ValidationError(errors)
    return out


def clean_mapping(mapping: Any, *, telephony: bool, custom_codes: set[str]) -> dict[str, str]:
    if mapping in (None, ""):
        return {}
    if not isinstance(mapping, dict):
        raise ValidationError({"mapping": _("A mapping is an object: {field: path}.")})
    errors, out = {}, {}
    for target, path in mapping.items():
        known = (target in CALL_TARGETS if telephony
                 else is_target(target, custom_codes) or target in WEBHOOK_ONLY)
        if not known:
            errors[f"mapping.{target}"] = _("Unknown lead field.")
        elif not isinstance(path, str) or not path.strip() or len(path) > 200:
            errors[f"mapping.{target}"] = _("Give the path in the received JSON, e.g. "
                                            "contact.phone.")
        else:
            out[target] = path.strip()
    if errors:
        raise ValidationError(errors)
    return out


def dig(payload: Any, path: str) -> Any:
    """The value at a dotted path ("contact.phones.0") of a JSON document, or None."""
    value = payload
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and (i := parse_int(part)) is not None and i < len(value):
            value = value[i]
        else:
            return None
    return value


def _text(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).replace("\x00", "").strip()


def build_lead(values: dict[str, tuple[str, Any]], *, required: set[str] = frozenset()
               ) -> Lead:
    """``values``: {target: (the sender's field name, raw value)} → a normalised Lead."""
    lead, errors = Lead(), {}
    names = {target: name for target, (name, _raw) in values.items()}
    for target, (name, raw) in values.items():
        text = _text(raw)
        if len(text) > MAX_VALUE:
            errors[name] = _("At most %(n)d characters.") % {"n": MAX_VALUE}
            continue
        if not text:
            if target in required:
                errors[name] = _("This field is required.")
            continue
        if target == "phone":
            try:
                lead.phones.append(normalize_phone(text))
            except InvalidValue as exc:
                errors[name] = str(exc)
        elif target == "email":
            try:
                lead.emails.append(normalize_email(text))
            except InvalidValue as exc:
                errors[name] = str(exc)
        elif target in UTM:
            lead.utm[target] = text[:200]
        elif target.startswith("custom."):
            lead.custom[target[7:]] = text
        elif target in ("name", "company", "title", "budget", "comment", "source",
                        "provider_id"):
            setattr(lead, target, text[:MAX_VALUE])
    if not errors and not lead.phones and not lead.emails:
        key = names.get("phone") or names.get("email") or "phone"
        errors[key] = _("Leave a phone number or an e-mail.")
    if errors:
        raise ValidationError(errors)
    return lead


def _moment(raw: Any) -> datetime.datetime | None:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        if 0 < raw < 32503680000:  # before the year 3000
            return datetime.datetime.fromtimestamp(raw, tz=datetime.UTC)
        return None
    text = _text(raw)
    if ascii_digits(text) and len(text) <= 12:
        return _moment(int(text))
    try:
        value = parse_datetime(text)
    except ValueError:
        return None
    if value is None or not 1970 <= value.year <= 2999:
        return None
    return value if timezone.is_aware(value) else timezone.make_aware(value)


ANSWERED = {"answered", "success", "completed", "ok", "true", "1", "yes"}
MISSED = {"missed", "noanswer", "no_answer", "busy", "failed", "cancel", "false", "0", "no"}


def build_call(payload: Any, mapping: dict[str, str]) -> CallData:
    """A telephony event → CallData; ``mapping`` renames fields (identity by default)."""
    def get(target: str) -> tuple[str, Any]:
        path = mapping.get(target, target)
        return path, dig(payload, path)

    errors: dict[str, str] = {}
    id_name, call_id = get("provider_call_id")
    call_id = _text(call_id)
    if not call_id or len(call_id) > 200:
        errors[id_name] = _("This field is required.")
    dir_name, direction = get("direction")
    direction = _text(direction).lower()
    direction = {"in": "inbound", "incoming": "inbound", "out": "outbound",
                 "outgoing": "outbound"}.get(direction, direction)
    if direction not in ("inbound", "outbound"):
        errors[dir_name] = _("Use inbound or outbound.")
    side = "from" if direction != "outbound" else "to"
    phone_name, phone = get(side)
    try:
        phone = normalize_phone(_text(phone))
    except InvalidValue as exc:
        errors[phone_name] = str(exc)
    start_name, started = get("started_at")
    started_at = _moment(started) if started not in (None, "") else timezone.now()
    if started_at is None:
        errors[start_name] = _("Enter a date and time (ISO 8601 or a Unix time).")
    dur_name, duration = get("duration")
    try:
        seconds = int(_text(duration) or 0)
        if not 0 <= seconds <= 86400 * 2:
            raise ValueError
    except ValueError:
        errors[dur_name] = _("Enter a whole number of seconds.")
        seconds = 0
    rec_name, recording = get("recording_url")
    recording = _text(recording)
    if recording and (not recording.startswith(("http://", "https://")) or len(recording) > 1000):
        errors[rec_name] = _("Enter an http(s) address.")
    status_name, status = get("status")
    status = _text(status).lower()
    if status in ANSWERED:
        answered = True
    elif status in MISSED:
        answered = False
    elif not status:
        answered = seconds > 0
    else:
        errors[status_name] = _("Use answered or missed.")
        answered = False
    if errors:
        raise ValidationError(errors)
    return CallData(provider_call_id=call_id, direction=direction, client_phone=phone,
                    started_at=started_at, duration_seconds=seconds if answered else 0,
                    recording_url=recording, answered=answered)
