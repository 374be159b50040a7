"""Parsing cell text: dates and times in the formats CRMs export, statuses."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from .mapping import LOST_WORDS, OPEN_WORDS, WON_WORDS

DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S",
                    "%Y-%m-%dT%H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y",
                    "%Y-%m-%d", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y")
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S")


class CellError(ValueError):
    pass


def parse_datetime(text: str) -> datetime.datetime | None:
    """An aware datetime; a time without a zone is in the server's TIME_ZONE."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = datetime.datetime.fromisoformat(text)
    except ValueError:
        value = None
        for fmt in DATETIME_FORMATS:
            try:
                value = datetime.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if value is None:
        raise CellError(_("“%(value)s” is not a date and time (use YYYY-MM-DD HH:MM or "
                          "DD.MM.YYYY HH:MM).") % {"value": text[:40]})
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def parse_date(text: str) -> datetime.date | None:
    text = (text or "").strip()
    if not text:
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CellError(_("“%(value)s” is not a date (use YYYY-MM-DD or DD.MM.YYYY).")
                    % {"value": text[:40]})


def word(text: str) -> str:
    return " ".join((text or "").split()).lower()


def status_of(text: str) -> str | None:
    """open/won/lost for a status cell or a closing "stage" of amoCRM/Bitrix24; None if the
    text is not a status."""
    key = word(text)
    if key in WON_WORDS:
        return "won"
    if key in LOST_WORDS:
        return "lost"
    if key in OPEN_WORDS:
        return "open"
    return None
