"""Message variables: ``{{ deal.title }}``, ``{{ contact.name }}``, ``{{ custom.work_type }}``.

A deliberately small language (no tags, no filters, no attribute access on objects): an
editable template can only read the plain values listed here, so a template typed into the
settings screen can never reach into the application. When a template is saved, ``check``
refuses a broken placeholder (``{{ deal.title`` without its braces, a ``{% tag %}``: it would
be sent as typed) and an unknown variable, naming them.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.core.errors import ValidationError
from voronka.deals.models import Deal

VARIABLE = re.compile(r"\{\{\s*([a-z_]+(?:\.[a-z0-9_-]+)?)\s*\}\}")

VARIABLES: dict[str, Any] = {
    "deal.id": gettext_lazy("deal number"),
    "deal.title": gettext_lazy("deal title"),
    "deal.budget": gettext_lazy("budget"),
    "deal.stage": gettext_lazy("stage"),
    "deal.pipeline": gettext_lazy("pipeline"),
    "deal.source": gettext_lazy("source"),
    "owner.name": gettext_lazy("owner's name"),
    "owner.email": gettext_lazy("owner's e-mail"),
    "contact.name": gettext_lazy("contact's name"),
    "contact.email": gettext_lazy("contact's e-mail"),
    "contact.phone": gettext_lazy("contact's phone"),
    "company.name": gettext_lazy("company"),
}
CUSTOM_PREFIX = "custom."
# What opens or closes a placeholder, a tag or a comment in the template languages people
# know; left over once the variables are taken out, it is a placeholder ``render`` would not
# fill in.
MARKS = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
ENDS = re.compile(r"\}\}|%\}|#\}")


class TemplateSyntaxError(ValueError):
    """A placeholder ``render`` would leave as typed: ``fragment`` is what was written."""

    def __init__(self, fragment: str, *, tag: bool) -> None:
        super().__init__(fragment)
        self.fragment = fragment
        self.tag = tag


def parse(text: str) -> list[str]:
    """The variables ``text`` names, in order; TemplateSyntaxError at the first placeholder
    that is not a variable as ``render`` reads them."""
    text = text or ""
    # The variables blanked out (positions kept), what is left must hold no marks.
    rest = VARIABLE.sub(lambda m: " " * len(m.group(0)), text)
    mark = MARKS.search(rest)
    if mark is not None:
        start, token = mark.start(), mark.group(0)
        if token in ("{{", "{%", "{#"):  # from the opening to its end (or a little of it)
            end = ENDS.search(rest, mark.end())
            stop = end.end() if end is not None and end.end() - start <= 60 else start + 30
        else:  # a stray closing: a little of what comes before it
            start, stop = max(0, start - 20), mark.end()
        raise TemplateSyntaxError(" ".join(text[start:stop].split()),
                                  tag=token not in ("{{", "}}"))
    return VARIABLE.findall(text)


def check(text: str, field: str) -> None:
    """Refuse a template with a broken placeholder or an unknown variable, naming ``field``."""
    try:
        parse(text)
    except TemplateSyntaxError as exc:
        if exc.tag:
            message = _("“%(fragment)s”: tags and comments are not supported, only variables "
                        "such as {{ deal.title }}.") % {"fragment": exc.fragment}
        else:
            message = _("“%(fragment)s” is not a variable: write it as {{ deal.title }} (two "
                        "braces on each side, a name from the list).") % {
                "fragment": exc.fragment}
        raise ValidationError({field: message}) from exc
    unknown = sorted({m for m in VARIABLE.findall(text or "")
                      if m not in VARIABLES and not m.startswith(CUSTOM_PREFIX)})
    if unknown:
        raise ValidationError({field: _("Unknown variable: %(names)s. Known: %(known)s.") % {
            "names": ", ".join(unknown), "known": ", ".join(sorted(VARIABLES))}})


def _money(value: Decimal) -> str:
    return f"{formats.number_format(value, 2, force_grouping=True)} {settings.VORONKA_CURRENCY}"


def primary_contact(deal: Deal):
    """The contact a message goes to: the decision maker if there is one, else the first."""
    links = list(deal.deal_contacts.select_related("contact").order_by("id"))
    for link in links:
        if link.role == "decision_maker":
            return link.contact
    return links[0].contact if links else None


def first_email(contact) -> str:
    if contact is None:
        return ""
    row = contact.emails.order_by("id").first()
    return row.email if row else ""


def deal_context(deal: Deal) -> dict[str, str]:
    """The values of every variable for ``deal``, as text."""
    contact = primary_contact(deal)
    phone = contact.phones.order_by("id").first() if contact is not None else None
    ctx = {
        "deal.id": str(deal.pk),
        "deal.title": deal.title,
        "deal.budget": _money(deal.budget),
        "deal.stage": deal.stage.name,
        "deal.pipeline": deal.pipeline.name,
        "deal.source": deal.source,
        "owner.name": str(deal.owner),
        "owner.email": deal.owner.email,
        "contact.name": contact.full_name if contact is not None else "",
        "contact.email": first_email(contact),
        "contact.phone": phone.number if phone is not None else "",
        "company.name": deal.company.name if deal.company_id else "",
    }
    for code, value in (deal.custom_fields or {}).items():
        ctx[CUSTOM_PREFIX + code] = "" if value is None else str(value)
    return ctx


def render(text: str, context: dict[str, str]) -> str:
    """Replace each ``{{ name }}`` by its value (an unknown or empty one by nothing)."""
    return VARIABLE.sub(lambda m: context.get(m.group(1), ""), text or "")
