"""Normalisation of phones (E.164), e-mails and free text, shared by every door that takes them."""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from .errors import ValidationError


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


def unstorable(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None: a NUL character or a lone surrogate (PostgreSQL
    refuses both, with a server error)."""
    if "\x00" in text:
        return _("The text contains a NUL character, which cannot be stored. Remove it.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _("The text is not valid Unicode.")
    return None


def clean_text(raw: object, *, field: str, max_length: int | None = None) -> str:
    """Free text from a user, stripped; unstorable text and a text past ``max_length`` are
    refused naming ``field`` (Django's form fields do the same for the doors with a form)."""
    text = str(raw or "").strip()
    problem = unstorable(text)
    if problem:
        raise ValidationError({field: problem})
    if max_length is not None and len(text) > max_length:
        raise ValidationError({field: _("At most %(n)d characters.") % {"n": max_length}})
    return text
