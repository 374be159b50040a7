"""Template helpers of the forecast screens and the win probability on the deal page."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def pct(value: float | None, digits: int = 0) -> str:
    """0.4567 → "46%" ("46,5%" with a digit in Russian), as the reports write shares;
    None → "—"."""
    if value is None:
        return "—"
    return f"{number_format(round(value * 100, digits), digits)}%"


@register.inclusion_tag("forecast/_deal_probability.html", takes_context=True)
def deal_win_probability(context, deal) -> dict:
    """The learned win probability of an open deal next to its stage's (the deal page)."""
    from ..learned import deal_probabilities, latest

    out = {"deal": deal, "model": None, "probability": None}
    if deal is None or deal.status != "open":
        return out
    model = latest(deal.pipeline_id)
    if model is None:
        return out
    out["model"] = model
    out["probability"] = deal_probabilities(model, [deal.pk]).get(deal.pk)
    return out
