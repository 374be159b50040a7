"""The board card as HTML, built in Python.

A board shows up to 350 cards; through the template engine each card cost ~1 ms (an include,
two URL reversals, a dozen translated strings and filters), most of the page's time. Here a
card is one string format with escaped values, the URLs come from a prefix reversed once, and
the labels are translated once per language (bench/board.py has the figures).
"""

from __future__ import annotations

import functools
from html import escape
from urllib.parse import urlencode

from django.urls import get_script_prefix, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from voronka.deals.board import BoardCard

from .templatetags.web_tags import days, due, money


@functools.lru_cache(maxsize=512)
def _days(language: str | None, n: int) -> str:
    return escape(days(n))

_ID = 987654321


@functools.lru_cache(maxsize=16)
def _paths(script_prefix: str) -> tuple[str, str, str, str]:
    """(before, after) pieces of the deal page and the "Move to…" dialog URLs."""
    deal = reverse("web:deal", args=[_ID]).split(str(_ID))
    move = reverse("web:deal_move_dialog", args=[_ID]).split(str(_ID))
    return deal[0], deal[1], move[0], move[1]


@functools.lru_cache(maxsize=8)
def _labels(language: str | None) -> dict[str, str]:
    return {
        "owner": escape(_("Owner")),
        "no_task": escape(_("No task planned")),
        "over_limit": escape(_("over limit")),
        "unverified": escape(_("facts unverified")),
        "unverified_title": escape(_("Placed here by an import: the exit facts of the "
                                     "stages passed are not shown in Voronka.")),
        "over_title": escape(_("Over the stage time limit")),
        "days_title": escape(_("Days in stage")),
        "move": escape(_("Move to…")),
        "move_aria": _("Move “%(title)s” to…"),
    }


@functools.lru_cache(maxsize=64)
def board_params(filter_items: tuple[tuple[str, str], ...]) -> str:
    """What every stage change from the board sends besides the card's version: the origin
    and the board's filters (as sorted (name, value) pairs, so the answer is cached)."""
    return urlencode({"origin": "board", "filters": urlencode(filter_items)})


def render_card(card: BoardCard, params: str) -> SafeString:
    """One card; ``params`` from ``board_params`` (the board's origin and filters)."""
    deal = card.deal
    lang = get_language()
    labels = _labels(lang)
    deal_a, deal_b, move_a, move_b = _paths(get_script_prefix())
    title = escape(deal.title)
    warn = " card-warn" if card.over_time_limit or card.task_overdue else ""
    company = (f'<div class="card-company">{escape(deal.company)}</div>'
               if deal.company_id else "")
    if card.no_task:
        task = (f'<div class="card-task none"><span class="dot dot-warn" aria-hidden="true">'
                f'</span>{labels["no_task"]}</div>')
    else:
        late = " overdue" if card.task_overdue else ""
        dot = " dot-danger" if card.task_overdue else ""
        text = escape(card.next_task_text or "")
        task = (f'<div class="card-task{late}" title="{text}"><span class="dot{dot}" '
                f'aria-hidden="true"></span><span class="card-task-text">'
                f'{escape(due(card.next_task_due))} · {text}</span></div>')
    if card.over_time_limit:
        stay = (f'<span class="pill pill-danger" title="{labels["over_title"]}">'
                f'{_days(lang, card.days_in_stage)} · {labels["over_limit"]}</span>')
    else:
        stay = (f'<span class="pill" title="{labels["days_title"]}">'
                f'{_days(lang, card.days_in_stage)}</span>')
    if deal.facts_unverified:
        stay += (f' <span class="pill pill-warn" title="{labels["unverified_title"]}">'
                 f'{labels["unverified"]}</span>')
    aria = escape(labels["move_aria"] % {"title": deal.title})
    # Every value above is escaped (html.escape, quotes too) before it is put in.
    return mark_safe(
        f'<article class="card{warn}" id="card-{deal.id}" data-deal="{deal.id}" '
        f'data-version="{deal.version}" data-stage="{deal.stage_id}">'
        f'<a class="card-title" draggable="false" href="{deal_a}{deal.id}{deal_b}">{title}</a>'
        f'{company}<div class="card-row"><span class="card-budget">{money(deal.budget)}</span>'
        f'<span class="card-owner" title="{labels["owner"]}">{escape(deal.owner)}</span>'
        f'</div>{task}<div class="card-foot">{stay}'
        f'<button type="button" class="btn btn-ghost btn-small card-move" '
        f'hx-get="{move_a}{deal.id}{move_b}?{escape(params)}&amp;version={deal.version}" '
        f'hx-target="#modal" aria-label="{aria}">{labels["move"]}</button></div></article>')
