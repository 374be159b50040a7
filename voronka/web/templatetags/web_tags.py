"""Template helpers of the web UI: money, dates relative to today, small labels."""

from __future__ import annotations

import datetime
import functools
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from voronka.activities.wording import check_task_wording
from voronka.crm.models import ContactRole

register = template.Library()

CURRENCY_SIGNS = {"RUB": "₽", "USD": "$", "EUR": "€", "KZT": "₸", "BYN": "Br", "UAH": "₴"}
NBSP = "\u00a0"


_ONE = Decimal("1")


def money_text(amount: Decimal) -> str:
    """``money`` of a Decimal (the board's cards call it directly, hundreds a page)."""
    whole = f"{amount.quantize(_ONE):,}".replace(",", NBSP)
    sign = CURRENCY_SIGNS.get(settings.VORONKA_CURRENCY, settings.VORONKA_CURRENCY)
    return f"{whole}{NBSP}{sign}"


@register.filter
def money(value: Any) -> str:
    """1234567.5 → "1 234 568 ₽": whole units with grouped thousands and the currency sign."""
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return money_text(amount)


@register.filter
def amount(value: Any) -> str:
    """A money amount with kopecks, for forms and payments: "1 234,50"."""
    if value in (None, ""):
        return ""
    return formats.number_format(Decimal(str(value)), 2, use_l10n=True, force_grouping=True)


# Django date-format letters used by the short date formats → strftime directives.
_STRFTIME = {"d": "%d", "m": "%m", "Y": "%Y", "y": "%y", "j": "%-d", "n": "%-m"}


@functools.lru_cache(maxsize=8)
def _short_date_pattern(language: str | None) -> str | None:
    """The locale's SHORT_DATE_FORMAT as a strftime pattern (None if it uses other letters):
    a board formats hundreds of dates and Django's formatter is the slow part."""
    pattern = []
    for char in str(formats.get_format("SHORT_DATE_FORMAT", lang=language)):
        if char.isalpha():
            if char not in _STRFTIME:
                return None
            pattern.append(_STRFTIME[char])
        else:
            pattern.append(char.replace("%", "%%"))
    return "".join(pattern)


def due_words() -> dict[int, str]:
    """The words of a due day by its distance from today, in the active language."""
    return {0: _("today %(time)s"), 1: _("tomorrow %(time)s"), -1: _("yesterday %(time)s")}


def due_text(local: datetime.datetime, today: datetime.date, words: dict[int, str],
             pattern: str | None) -> str:
    """``due`` of a local time, with today, ``due_words()`` and ``_short_date_pattern`` given
    (the board works them out once for hundreds of cards)."""
    day = local.date()
    clock = f"{local.hour:02d}:{local.minute:02d}"
    word = words.get((day - today).days)
    if word is not None:
        return word % {"time": clock}
    text = day.strftime(pattern) if pattern else formats.date_format(day, "SHORT_DATE_FORMAT")
    return f"{text} {clock}"


@register.filter
def due(value: datetime.datetime | None) -> str:
    """A due time as a person says it: "today 14:00", "tomorrow 10:00", "3/12/2026 12:00"."""
    if value is None:
        return ""
    return due_text(timezone.localtime(value), timezone.localdate(), due_words(),
                    _short_date_pattern(translation.get_language()))


@register.filter
def days(value: int) -> str:
    return ngettext("%(n)d day", "%(n)d days", value) % {"n": value}


@register.filter
def hours_or_days(hours: int | None) -> str:
    """A stage's time limit as a head of sales says it: whole days when it is days."""
    if not hours:
        return ""
    if hours >= 48 and hours % 24 == 0:
        return days(hours // 24)
    return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}


@register.filter
def duration(seconds: int | None) -> str:
    """Call length in minutes and seconds (calls are measured in minutes, seed 003)."""
    seconds = int(seconds or 0)
    return _("%(m)d min %(s)02d s") % {"m": seconds // 60, "s": seconds % 60}


@register.filter
def initials(user: Any) -> str:
    name = str(user or "").strip()
    parts = [p for p in name.replace("@", " ").split() if p]
    return "".join(p[0].upper() for p in parts[:2]) or "?"


@register.filter
def lookup(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.simple_tag
def qs(base: dict[str, str] | None = None, **params: Any) -> str:
    """A query string from the board's filters plus overrides (empty values dropped)."""
    from urllib.parse import urlencode

    merged = dict(base or {})
    for key, value in params.items():
        if value in (None, ""):
            merged.pop(key, None)
        else:
            merged[key] = str(value)
    return urlencode(merged)


@register.simple_tag
def board_card(card: Any, filter_query: dict[str, str] | None) -> str:
    """A board card (built in Python: the board renders hundreds, see web/cards.py)."""
    from django.utils.safestring import mark_safe

    from voronka.web.cards import BoardHtml

    return mark_safe(BoardHtml(filter_query).card(card))  # every value in it is escaped


@register.simple_tag
def board_column_cards(column: Any, pipeline: Any, filter_query: dict[str, str] | None,
                       movable: bool = True) -> str:
    """One page of a column's cards and its next-page marker (infinite scroll)."""
    from django.utils.safestring import mark_safe

    from voronka.web.cards import BoardHtml

    return mark_safe(BoardHtml(filter_query, movable=bool(movable))  # escaped
                     .column_cards(column, pipeline.pk))


@register.simple_tag
def board_column_head(stage: Any, count: int, total: Any, oob: bool = False) -> str:
    """A column's head with the count and budget of all its deals."""
    from django.utils.safestring import mark_safe

    from voronka.web.cards import BoardHtml

    return mark_safe(BoardHtml().column_head(stage, count, total, oob=bool(oob)))  # escaped


@register.filter
def timedelta_days(seconds: int | None) -> str:
    """Time spent in a stage, coarse: days, else hours, else minutes."""
    seconds = int(seconds or 0)
    if seconds >= 86400:
        return ngettext("%(n)d day", "%(n)d days", seconds // 86400) % {"n": seconds // 86400}
    if seconds >= 3600:
        return ngettext("%(n)d hour", "%(n)d hours", seconds // 3600) % {"n": seconds // 3600}
    return ngettext("%(n)d minute", "%(n)d minutes", seconds // 60) % {"n": seconds // 60}


@register.filter
def plans_a_process(text: str) -> bool:
    """A task worded as a process ("созвон", "мониторинг"), not as an agreement (seed 003 §7):
    marked on saved tasks, so the head of sales can review them."""
    return check_task_wording(text).warn


_REF = re.compile(r"^([+-]?)(\d+):(.*)$", re.DOTALL)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ROLE = re.compile(r"^(.*) \((\w+)\)$", re.DOTALL)


@register.filter
def change_value(value: str, field: str) -> str:
    """A field change's stored text (``core.audit.audit_repr``: "818:ООО «Ромашка»",
    "+12:Иван (decision_maker)", "1500000.5") as the reader should see it."""
    if not value:
        return "—"
    if field == "budget":
        try:
            return money_text(Decimal(value))
        except InvalidOperation:
            return value
    if field == "expected_close_date" or (field.startswith("custom_fields.")
                                          and _ISO_DATE.fullmatch(value)):
        try:
            return formats.date_format(datetime.date.fromisoformat(value), "SHORT_DATE_FORMAT")
        except ValueError:
            return value
    if field.startswith("custom_fields.") and value in ("true", "false"):
        return _("Yes") if value == "true" else _("No")
    ref = _REF.match(value) if field in ("owner", "company", "contacts", "stage") else None
    if ref is None:
        return value
    sign, _pk, text = ref.groups()
    role = _ROLE.match(text) if field == "contacts" else None
    if role and role.group(2) in ContactRole.values:
        text = f"{role.group(1)} ({ContactRole(role.group(2)).label})"
    if sign == "+":
        return _("added: %(name)s") % {"name": text}
    if sign == "-":
        return _("removed: %(name)s") % {"name": text}
    return text
