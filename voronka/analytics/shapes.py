"""The shape of a manager's individual funnel (K. Dubrovin, seed 003 §2).

The widths are the manager's open deals on each stage now, first stage to last. With
``tol`` = 20 % of the widest stage, the rule is applied in this order:

1. fewer than five open deals — too few to have a shape;
2. **pipe** (труба): every stage within ``tol`` of the widest — as many deals late as early;
   weaker at attracting, strong at closing;
3. **barrel** (бочка): a middle stage wider than both ends by more than ``tol`` — deals taken
   up on the middle stages (e.g. from the archive) and carried to payment;
4. **guitar** (гитара): a middle stage narrower than both ends by more than ``tol`` — the
   manager gets deals through that middle stage quickly;
5. **trapezoid** (перевёрнутая трапеция, the classic funnel): the first stage at least as wide
   as the last — volume on top, many fall out, volume carries the plan;
6. **skirt** (юбка): otherwise, wider at the bottom — the plan comes from developing
   existing clients.

Funnels of fewer than three stages have no middle, so only 1, 2, 5, 6 apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

TRAPEZOID, PIPE, BARREL, SKIRT, GUITAR = "trapezoid", "pipe", "barrel", "skirt", "guitar"
TOLERANCE = 0.2
MIN_DEALS = 5

NAMES: dict[str, Promise] = {
    TRAPEZOID: _("Trapezoid"),
    PIPE: _("Pipe"),
    BARREL: _("Barrel"),
    SKIRT: _("Skirt"),
    GUITAR: _("Guitar"),
}
MEANINGS: dict[str, Promise] = {
    TRAPEZOID: _("Many deals on the upper stages, many fall out; volume carries the plan."),
    PIPE: _("About as many deals on every stage: weaker at attracting, strong at closing."),
    BARREL: _("The middle stages are the widest: deals are taken up in the middle (e.g. from "
              "the archive) and carried to payment."),
    SKIRT: _("Wider at the bottom: the plan comes from developing existing clients."),
    GUITAR: _("A narrow middle stage: the manager gets deals through it quickly."),
}
# The ideal outline of each shape, for the legend.
TEMPLATES: dict[str, tuple[int, ...]] = {
    TRAPEZOID: (10, 8, 6, 4, 2),
    PIPE: (6, 6, 6, 6, 6),
    BARREL: (4, 8, 10, 8, 4),
    SKIRT: (2, 4, 6, 8, 10),
    GUITAR: (8, 6, 2, 6, 9),
}


def classify(widths: Sequence[int]) -> str | None:
    """The shape of a funnel whose stages hold ``widths`` deals (see the module doc)."""
    if not widths or sum(widths) < MIN_DEALS:
        return None
    top = max(widths)
    tol = TOLERANCE * top
    if top - min(widths) <= tol:
        return PIPE
    first, last, middle = widths[0], widths[-1], list(widths[1:-1])
    if middle:
        if max(middle) - max(first, last) > tol:
            return BARREL
        if min(first, last) - min(middle) > tol:
            return GUITAR
    return TRAPEZOID if first >= last else SKIRT


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float


def picture(widths: Sequence[int], *, width: float = 60, height: float = 40) -> list[Bar]:
    """Centred horizontal bars, one per stage, width proportional to the stage: the small
    picture of a funnel's shape (drawn as SVG by the template)."""
    if not widths:
        return []
    top = max(widths) or 1
    step = height / len(widths)
    bars = []
    for i, w in enumerate(widths):
        bar = max(1.0, width * w / top) if w else 1.0
        bars.append(Bar(round((width - bar) / 2, 2), round(i * step + 0.5, 2), round(bar, 2),
                        round(max(1.0, step - 1), 2)))
    return bars
