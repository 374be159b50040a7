"""Searchable pickers of contacts and companies.

A plain ``<select>`` (works without JavaScript, keyboard accessible) holding the first
``limit`` records the user may see, plus ALWAYS the value it holds (the stored one or the one
just submitted), so a form saved without touching the picker sends that value back. Next to
it a search box asks ``web:pick_<kind>`` (htmx) for the matching records among all the user
may see and swaps them in as the select's options, the chosen one kept.

Validation accepts any record of the user's visible set (the ``crm.selectors`` queryset), not
only the options shown; anything else is refused with an error naming the field. The cleaned
value stays the id as text ("" for none), which is what the views hand to the selectors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.core.numbers import parse_id
from voronka.crm.models import Company, Contact
from voronka.crm.selectors import company_list, contact_list

PICKER_LIMIT = 300   # options a picker shows before any search
SEARCH_LIMIT = 50    # matches a search answers with
BLANK = "—"


def _contact_label(contact: Contact) -> str:
    return f"{contact.full_name} · {contact.company}" if contact.company_id else contact.full_name


@dataclass(frozen=True)
class Picker:
    """What a kind of record is picked from: the user's visible set (searchable) and a label."""

    kind: str
    url_name: str
    select: Callable[..., QuerySet]
    order: tuple[str, ...]
    label: Callable[[Any], str]
    search_label: Any

    def visible(self, user: User, search: str = "") -> QuerySet:
        return self.select(user=user, search=search).order_by(*self.order)

    def first(self, user: User, limit: int, search: str = "") -> list[Model]:
        return list(self.visible(user, search)[:limit])

    def find(self, user: User, pk: Any) -> Model | None:
        pk = parse_id(pk)
        return self.visible(user).filter(pk=pk).first() if pk else None


PICKERS: dict[str, Picker] = {
    "company": Picker("company", "web:pick_companies", company_list, ("name", "id"),
                      lambda c: c.name, _("Search companies by name or INN")),
    "contact": Picker("contact", "web:pick_contacts", contact_list, ("full_name", "id"),
                      _contact_label, _("Search contacts by name, phone or e-mail")),
}


@dataclass
class Option:
    value: str
    label: str
    selected: bool = False
    disabled: bool = False


def option_list(picker: Picker, user: User, records: list[Model], *, selected: str = "",
                blank: bool = True, more: bool = False,
                kept: tuple[str, str] | None = None) -> list[Option]:
    """The options of a picker: the blank one, the selected record (even when it is not among
    ``records``) and ``records``; a note when there are more or none. ``kept`` is the form
    object's own value (id, label): kept even when the user could not pick it anew."""
    options = [Option("", BLANK, selected == "")] if blank else []
    shown = {str(r.pk) for r in records}
    if selected and selected not in shown:
        current = picker.find(user, selected)
        if current is not None:
            options.append(Option(str(current.pk), picker.label(current), True))
        elif kept is not None and kept[0] == selected:
            options.append(Option(kept[0], kept[1], True))
    options += [Option(str(r.pk), picker.label(r), str(r.pk) == selected) for r in records]
    if more:
        options.append(Option("", str(_("More found: type more to narrow the search.")),
                              disabled=True))
    elif not records:
        options.append(Option("", str(_("Nothing found.")), disabled=True))
    return options


class SearchSelect(forms.Select):
    """A select with a search box beside it (template ``web/widgets/search_select.html``).

    Rendered with the project's template engine: the default form renderer looks only in the
    apps' template folders, and the web templates live in ``voronka/templates``."""

    template_name = "web/widgets/search_select.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.picker: Picker | None = None
        self.user: User | None = None
        self.current: tuple[str, str] | None = None

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict:
        context = super().get_context(name, value, attrs)
        values = self.format_value(value)
        selected = values[0] if values else ""
        choices = [(str(v), str(label)) for v, label in self.choices]
        known = {v for v, _label in choices}
        if selected and selected not in known:
            extra = None
            if self.current and self.current[0] == selected:
                extra = self.current
            elif self.picker is not None and self.user is not None:
                record = self.picker.find(self.user, selected)
                if record is not None:
                    extra = (str(record.pk), self.picker.label(record))
            if extra:
                at = 1 if choices and choices[0][0] == "" else 0
                choices.insert(at, extra)
        context["widget"]["options"] = [Option(v, label, v == selected) for v, label in choices]
        if self.picker is not None:
            blank = bool(choices) and choices[0][0] == ""
            params = {"field": name, **({"blank": "1"} if blank else {})}
            if self.current:  # the object's own value survives a search (it may be unpickable)
                params.update(keep=self.current[0], keep_label=self.current[1])
            url = f"{reverse(self.picker.url_name)}?{urlencode(params)}"
            context["widget"]["search"] = {
                "url": url,
                "label": self.picker.search_label,
            }
        return context

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None,
               renderer: Any = None) -> str:
        return mark_safe(render_to_string(self.template_name,
                                          self.get_context(name, value, attrs)))


class SearchSelectField(forms.ChoiceField):
    """A contact or company among those ``user`` may see; the value is its id as text.

    ``current`` is the (id, label) the form's object holds now: it is always shown and always
    accepted, so saving without touching the picker keeps it even if the user could not pick
    it anew."""

    widget = SearchSelect
    default_error_messages = {
        "invalid_choice": _("%(field)s: there is no such record among those you may see. "
                            "Search for it and choose one from the list."),
    }

    def __init__(self, *, kind: str, user: User, limit: int = PICKER_LIMIT,
                 current: tuple[Any, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.picker, self.user = PICKERS[kind], user
        self.current = (str(current[0]), str(current[1])) if current and current[0] else None
        records = self.picker.first(user, limit)
        self.choices = [("", BLANK)] + [(str(r.pk), self.picker.label(r)) for r in records]
        self.widget.picker, self.widget.user, self.widget.current = (
            self.picker, self.user, self.current)

    def valid_value(self, value: Any) -> bool:
        text = str(value)
        if text in {str(v) for v, _label in self.choices}:
            return True
        if self.current and text == self.current[0]:
            return True
        return self.picker.find(self.user, text) is not None

    def validate(self, value: Any) -> None:
        if value in self.empty_values:
            super().validate(value)
        elif not self.valid_value(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice",
                                  params={"value": value, "field": self.label})


def company_picker(user: User, *, label: Any = None, limit: int = PICKER_LIMIT,
                   current: Company | None = None, required: bool = False) -> SearchSelectField:
    return SearchSelectField(
        kind="company", user=user, limit=limit, required=required,
        label=label if label is not None else _("Company"),
        current=(current.pk, current.name) if current is not None else None)


def contact_picker(user: User, *, label: Any = None, limit: int = PICKER_LIMIT,
                   required: bool = False) -> SearchSelectField:
    return SearchSelectField(kind="contact", user=user, limit=limit, required=required,
                             label=label if label is not None else _("Contact"))
