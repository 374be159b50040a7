"""Normalisation of phones (E.164) and e-mails, shared by every door that takes them."""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _


class InvalidValue(ValueError):
    pass


def normalize_phone(raw: str, region: str | None = None) -> str:
    """Return ``raw`` as E.164 (``+79161234567``) or raise InvalidValue."""
    text = (raw or "").strip()
    if not text:
        raise InvalidValue(_("Phone number is empty."))
    region = region or settings.VORONKA_PHONE_REGION
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidValue(_("“%(value)s” is not a phone number.") % {"value": text}) from exc
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise InvalidValue(_("“%(value)s” is not a valid phone number.") % {"value": text})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str) -> str:
    """Return a trimmed, lower-cased e-mail or raise InvalidValue."""
    text = (raw or "").strip().lower()
    try:
        validate_email(text)
    except DjangoValidationError as exc:
        raise InvalidValue(_("“%(value)s” is not an e-mail address.") % {"value": raw}) from exc
    return text
