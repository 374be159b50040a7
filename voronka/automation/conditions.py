"""Rule conditions: comparisons on a deal's fields, validated when saved, evaluated in the worker.

A condition is ``{"field": "budget", "op": "gte", "value": "100000"}``. Fields are the deal's
built-in fields (budget, source, owner, stage, company, UTM…) and the pipeline's custom
fields as ``custom_fields.<code>``. The value is stored in a canonical text form (money as a
decimal string, a user or stage as its id) so evaluation never guesses.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.accounts.models import User
from voronka.core.errors import ValidationError
from voronka.deals.models import Deal
from voronka.pipelines.fields import FieldValueError, clean_custom_value
from voronka.pipelines.models import CustomField, Pipeline, Stage

TEXT, NUMBER, MONEY, DATE, CHOICE, BOOLEAN, USER, STAGE, PRESENCE = (
    "text", "number", "money", "date", "choice", "boolean", "user", "stage", "presence")

OPS: dict[str, Any] = {
    "eq": gettext_lazy("is"),
    "ne": gettext_lazy("is not"),
    "gt": gettext_lazy("greater than / after"),
    "gte": gettext_lazy("at least"),
    "lt": gettext_lazy("less than / before"),
    "lte": gettext_lazy("at most"),
    "contains": gettext_lazy("contains"),
    "not_contains": gettext_lazy("does not contain"),
    "empty": gettext_lazy("is empty"),
    "not_empty": gettext_lazy("is filled"),
}
_ORDERED = ("eq", "ne", "gt", "gte", "lt", "lte", "empty", "not_empty")
KIND_OPS: dict[str, tuple[str, ...]] = {
    TEXT: ("eq", "ne", "contains", "not_contains", "empty", "not_empty"),
    NUMBER: _ORDERED,
    MONEY: _ORDERED,
    DATE: ("eq", "ne", "gt", "lt", "empty", "not_empty"),
    CHOICE: ("eq", "ne", "empty", "not_empty"),
    BOOLEAN: ("eq", "empty", "not_empty"),
    USER: ("eq", "ne"),
    STAGE: ("eq", "ne"),
    PRESENCE: ("empty", "not_empty"),
}
NO_VALUE = {"empty", "not_empty"}


@dataclass(frozen=True)
class FieldSpec:
    code: str
    label: str
    kind: str
    custom: CustomField | None = None


BUILTIN: tuple[tuple[str, Any, str], ...] = (
    ("title", gettext_lazy("Title"), TEXT),
    ("budget", gettext_lazy("Budget"), MONEY),
    ("source", gettext_lazy("Source"), TEXT),
    ("owner", gettext_lazy("Owner"), USER),
    ("stage", gettext_lazy("Stage"), STAGE),
    ("company", gettext_lazy("Company"), PRESENCE),
    ("contact", gettext_lazy("Contact"), PRESENCE),
    ("expected_close_date", gettext_lazy("Expected close date"), DATE),
    ("utm_source", "utm_source", TEXT),
    ("utm_medium", "utm_medium", TEXT),
    ("utm_campaign", "utm_campaign", TEXT),
    ("utm_term", "utm_term", TEXT),
    ("utm_content", "utm_content", TEXT),
)


def field_catalogue(pipeline: Pipeline) -> dict[str, FieldSpec]:
    """Every field a condition (or a "field changed" trigger) of ``pipeline`` may name."""
    out = {code: FieldSpec(code, str(label), kind) for code, label, kind in BUILTIN}
    for cf in CustomField.objects.filter(pipeline=pipeline).order_by("position", "id"):
        code = f"custom_fields.{cf.code}"
        out[code] = FieldSpec(code, cf.name, cf.kind, cf)
    return out


def _decimal(raw: Any) -> Decimal:
    value = Decimal(str(raw).replace(" ", "").replace(",", "."))
    if not value.is_finite():
        raise InvalidOperation
    return value


def _clean_value(spec: FieldSpec, raw: Any, pipeline: Pipeline) -> Any:
    """The canonical stored form of a comparison value, or ValueError with a message."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValueError(_("Enter a value to compare with."))
    if spec.kind in (NUMBER, MONEY):
        try:
            return format(_decimal(raw), "f")
        except (InvalidOperation, ValueError) as exc:
            raise ValueError(_("Enter a number.")) from exc
    if spec.kind == USER:
        user = User.objects.filter(pk=_int(raw), is_active=True).first()
        if user is None:
            raise ValueError(_("Choose an active user."))
        return user.pk
    if spec.kind == STAGE:
        if not Stage.objects.filter(pk=_int(raw), pipeline=pipeline).exists():
            raise ValueError(_("Choose a stage of this pipeline."))
        return _int(raw)
    if spec.custom is not None:
        try:
            return clean_custom_value(spec.custom, raw)
        except FieldValueError as exc:
            raise ValueError(str(exc)) from exc
    if spec.kind == DATE:
        try:
            return datetime.date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError as exc:
            raise ValueError(_("Enter a date as YYYY-MM-DD.")) from exc
    return str(raw).strip()[:500]


def _int(raw: Any) -> int:
    try:
        return int(str(raw).strip())
    except ValueError:
        return 0


def clean(pipeline: Pipeline, raw: Any, *, prefix: str = "conditions") -> list[dict[str, Any]]:
    """Validate a list of conditions; ValidationError names ``conditions.<i>.<part>``."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise ValidationError({prefix: _("Expected a list of conditions.")})
    catalogue = field_catalogue(pipeline)
    out, errors = [], {}
    for i, item in enumerate(raw):
        key = f"{prefix}.{i}"
        if not isinstance(item, dict):
            errors[key] = _("Expected a condition.")
            continue
        spec = catalogue.get(str(item.get("field") or ""))
        if spec is None:
            errors[f"{key}.field"] = _("Choose a field of this pipeline.")
            continue
        op = str(item.get("op") or "")
        if op not in KIND_OPS[spec.kind]:
            errors[f"{key}.op"] = _("This comparison does not apply to the field.")
            continue
        cond: dict[str, Any] = {"field": spec.code, "op": op}
        if op not in NO_VALUE:
            try:
                cond["value"] = _clean_value(spec, item.get("value"), pipeline)
            except ValueError as exc:
                errors[f"{key}.value"] = str(exc)
                continue
        out.append(cond)
    if errors:
        raise ValidationError(errors)
    return out


# --- evaluation (in the worker, on the deal as it is now) ---------------------------------

def _actual(deal: Deal, code: str) -> Any:
    if code.startswith("custom_fields."):
        return (deal.custom_fields or {}).get(code.split(".", 1)[1])
    if code == "owner":
        return deal.owner_id
    if code == "stage":
        return deal.stage_id
    if code == "company":
        return deal.company_id
    if code == "contact":
        return deal.deal_contacts.exists() or None
    value = getattr(deal, code, None)
    if code == "budget" and value is not None and value == 0:
        return None  # a budget of 0 is "not set yet" (the same as the gates say)
    return value


def _compare(kind: str, op: str, actual: Any, expected: Any) -> bool:
    if kind in (NUMBER, MONEY):
        if actual is None:
            return op == "ne"
        left, right = _decimal(actual), _decimal(expected)
    elif kind == DATE:
        if actual is None:
            return op == "ne"
        left = actual.isoformat() if isinstance(actual, datetime.date) else str(actual)
        right = str(expected)
    elif kind in (USER, STAGE):
        left, right = actual, int(expected)
    elif kind == BOOLEAN:
        left, right = bool(actual), expected in (True, "true", "True", "1")
    else:
        left = "" if actual is None else str(actual).strip().casefold()
        right = str(expected).strip().casefold()
        if op == "contains":
            return right in left
        if op == "not_contains":
            return right not in left
    return {
        "eq": lambda: left == right,
        "ne": lambda: left != right,
        "gt": lambda: left > right,
        "gte": lambda: left >= right,
        "lt": lambda: left < right,
        "lte": lambda: left <= right,
    }[op]()


def holds(deal: Deal, conditions: list[dict[str, Any]], match: str,
          kinds: dict[str, str]) -> bool:
    """Whether the conditions hold for ``deal``. ``kinds`` maps field code → kind; a
    condition on a field that no longer exists does not hold."""
    if not conditions:
        return True
    results = []
    for cond in conditions:
        kind = kinds.get(cond["field"])
        if kind is None:
            results.append(False)
            continue
        actual = _actual(deal, cond["field"])
        if cond["op"] in NO_VALUE:
            empty = actual is None or (isinstance(actual, str) and not actual.strip())
            results.append(empty if cond["op"] == "empty" else not empty)
        else:
            try:
                results.append(_compare(kind, cond["op"], actual, cond.get("value")))
            except (InvalidOperation, ValueError, TypeError):
                results.append(False)
    return all(results) if match == "all" else any(results)


def kinds_for(pipeline_id: int) -> dict[str, str]:
    catalogue = field_catalogue(Pipeline(pk=pipeline_id))
    return {code: spec.kind for code, spec in catalogue.items()}
