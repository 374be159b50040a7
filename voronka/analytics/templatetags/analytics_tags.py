"""Template helpers of the reports: shares, durations, definitions on hover, shape pictures."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from voronka.analytics.metrics import METRICS

register = template.Library()


def _number(value: float, places: int) -> str:
    """``value`` to ``places`` decimals with the active language's separator ("12,3")."""
    return number_format(round(float(value), places), decimal_pos=places)


@register.filter
def share(value: float | None) -> str:
    """0.4 → "40%", 0.123 → "12.3%" ("12,3%" in Russian); no value → "—"."""
    if value is None:
        return "—"
    pct = value * 100
    return (f"{_number(pct, 0)}%" if pct >= 10 or pct == int(pct)
            else f"{_number(pct, 1)}%")


@register.filter
def hours(value: float | int | None) -> str:
    """A duration given in hours, as a person reads it: "5 h", "2.5 d" ("2,5 дн.")."""
    if value is None:
        return "—"
    if value < 48:
        return _("%(n)s h") % {"n": _number(value, 0 if value >= 10 else 1)}
    return _("%(n)s d") % {"n": _number(value / 24, 1)}


@register.filter
def days(value) -> str:
    return "—" if value is None else _("%(n)s d") % {"n": _number(value, 1)}


@register.simple_tag
def metric(code: str) -> str:
    """A metric's label with its definition on hover (title) — the definition in words."""
    m = METRICS[code]
    return format_html('<abbr class="metric" title="{}">{}</abbr>', m.definition, m.label)


@register.simple_tag
def definition(code: str) -> str:
    return str(METRICS[code].definition)


@register.simple_tag
def drill(link, *parts, owner=None) -> str:
    """{% drill link "lost" stage.id reason %}: the URL of the deals behind a figure."""
    return link(":".join(str(p) for p in parts), owner)


@register.simple_tag
def shape_svg(bars, label: str = "", width: int = 60, height: int = 40) -> str:
    """The small picture of a funnel shape: one centred bar per stage."""
    rects = format_html_join("", '<rect x="{}" y="{}" width="{}" height="{}" rx="1"/>',
                             ((b.x, b.y, b.width, b.height) for b in bars))
    return format_html('<svg class="shape" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
                       'role="img" aria-label="{label}"><title>{label}</title>{rects}</svg>',
                       w=width, h=height, label=label, rects=rects)


@register.filter
def get(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.simple_tag
def loss_share(losses, reason_id) -> str:
    return share(losses.share(reason_id))


@register.filter
def label_of(form, name: str) -> str:
    """The label of a form field by name (errors name the field as the form shows it)."""
    field = form.fields.get(name)
    return str(field.label) if field is not None and field.label else name
