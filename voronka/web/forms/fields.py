"""Form fields for custom deal fields. Values are checked by the services, not here, so the
rules live in one place (voronka.pipelines.fields)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.pipelines.models import CustomField

Kind = CustomField.Kind
YES_NO = [("", "—"), ("yes", _("Yes")), ("no", _("No"))]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def custom_formfield(cf: CustomField, initial: Any = None) -> forms.Field:
    """A form field for a custom field; its stored value is shown as the initial value."""
    common = {"label": cf.name, "required": False}
    if cf.kind == Kind.CHOICE:
        choices = [("", "—")] + [(c, c) for c in cf.choices or []]
        return forms.ChoiceField(choices=choices, initial=initial, **common)
    if cf.kind == Kind.BOOLEAN:
        value = "" if initial is None else ("yes" if initial else "no")
        return forms.ChoiceField(choices=YES_NO, initial=value, **common)
    if cf.kind == Kind.DATE:
        return forms.CharField(widget=forms.TextInput(attrs={"type": "date"}), initial=initial,
                               **common)
    if cf.kind in (Kind.NUMBER, Kind.MONEY):
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                               initial=initial, **common)
    if cf.kind == Kind.TEXT:
        return forms.CharField(initial=initial, **common)
    raise ValueError(cf.kind)


def custom_value(cf: CustomField, raw: Any) -> Any:
    """The form's text as the service expects it (booleans from yes/no)."""
    if cf.kind == Kind.BOOLEAN and raw in ("yes", "no"):
        return raw == "yes"
    return raw
