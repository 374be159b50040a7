"""Validation of custom deal field values. Values are stored in Deal.custom_fields as JSON:
text and choice as strings, number and money as decimal strings (no float rounding),
dates as ISO strings, yes/no as booleans."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from .models import CustomField

Kind = CustomField.Kind
TEXT_MAX = 5000
# Decimal places a number may carry. Without a bound "1e-999999999" (12 characters) would be
# written out as a billion digits; values are refused, never rounded, so nothing is lost.
NUMBER_MAX_PLACES = 20


class FieldValueError(ValueError):
    pass


def _decimal(raw: Any, *, places: int | None) -> str:
    if isinstance(raw, bool):
        raise FieldValueError(_("Enter a number."))
    try:
        value = Decimal(str(raw).replace(" ", "").replace(",", "."))
    except InvalidOperation as exc:
        raise FieldValueError(_("Enter a number.")) from exc
    # copy_abs, not abs(): abs() rounds to the context and overflows on "1e999999999".
    if not value.is_finite() or value.copy_abs() >= Decimal("1e15"):
        raise FieldValueError(_("Enter a number."))
    if places is None and value.as_tuple().exponent < -NUMBER_MAX_PLACES:
        raise FieldValueError(_("At most %(n)d digits after the decimal point.")
                              % {"n": NUMBER_MAX_PLACES})
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places))
    return format(value, "f")


def clean_custom_value(field: CustomField, raw: Any) -> Any:
    """Return the stored form of ``raw`` for ``field``; None means "clear the value"."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if field.kind == Kind.TEXT:
        text = str(raw).strip()
        if len(text) > TEXT_MAX:
            raise FieldValueError(_("At most %(n)d characters.") % {"n": TEXT_MAX})
        return text
    if field.kind == Kind.NUMBER:
        return _decimal(raw, places=None)
    if field.kind == Kind.MONEY:
        return _decimal(raw, places=2)
    if field.kind == Kind.DATE:
        # A datetime is a date too, but its isoformat() carries the time: not a date value.
        if isinstance(raw, datetime.date) and not isinstance(raw, datetime.datetime):
            return raw.isoformat()
        try:
            return datetime.date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError as exc:
            raise FieldValueError(_("Enter a date as YYYY-MM-DD.")) from exc
    if field.kind == Kind.CHOICE:
        text = str(raw).strip()
        if text not in (field.choices or []):
            raise FieldValueError(_("“%(value)s” is not one of the choices.") % {"value": text})
        return text
    if field.kind == Kind.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "on", "да"}:
            return True
        if text in {"0", "false", "no", "off", "нет"}:
            return False
        raise FieldValueError(_("Answer yes or no."))
    raise FieldValueError(_("Unknown field type."))
