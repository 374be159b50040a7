"""The board's columns and cards as HTML, built in Python.

A board shows up to 350 cards; through the template engine each card cost ~1 ms (an include,
two URL reversals, a dozen translated strings and filters), most of the page's time. Here a
card is one string format with escaped values, and what every card of a request shares (the
labels in the request's language, URL pieces, today's date, the board's filters) is worked out
once, in a ``BoardHtml`` (bench/board.py has the figures). The column heads and the "more"
marker are built the same way: seven template includes cost more than the cards' data.
"""

from __future__ import annotations

import datetime
import functools
from decimal import Decimal
from html import escape
from typing import Any
from urllib.parse import urlencode

from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from voronka.deals.board import Board, BoardCard, BoardColumn

from .templatetags.web_tags import _short_date_pattern, days, due_text, due_words, money_text

_ID = 987654321


@functools.lru_cache(maxsize=16)
def _paths(script_prefix: str) -> tuple[str, str, str, str]:
    """(before, after) pieces of the deal page and the "Move to…" dialog URLs."""
    deal = reverse("web:deal", args=[_ID]).split(str(_ID))
    move = reverse("web:deal_move_dialog", args=[_ID]).split(str(_ID))
    return deal[0], deal[1], move[0], move[1]


@functools.lru_cache(maxsize=16)
def _more_path(script_prefix: str) -> tuple[str, str, str]:
    """The pieces of a column's next-page URL around the pipeline and stage ids."""
    url = reverse("web:board_more", args=[_ID, _ID + 1])
    head, rest = url.split(str(_ID), 1)
    middle, tail = rest.split(str(_ID + 1), 1)
    return head, middle, tail


@functools.lru_cache(maxsize=8)
def _labels(language: str | None) -> dict[str, str]:
    return {
        "owner": escape(_("Owner")),
        "no_task": escape(_("No task planned")),
        "over_limit": escape(_("over limit")),
        "no_budget": escape(_("no budget")),
        "no_budget_title": escape(_("The budget is not set: the funnel's sums need it from "
                                    "the first stage.")),
        "unverified": escape(_("facts unverified")),
        "unverified_title": escape(_("Placed here by an import: the exit facts of the "
                                     "stages passed are not shown in Voronka.")),
        "over_title": escape(_("Over the stage time limit")),
        "days_title": escape(_("Days in stage")),
        "move": escape(_("Move to…")),
        "move_aria": _("Move “%(title)s” to…"),
        "goal": escape(_("Goal")),
        "loading": escape(_("Loading…")),
        "due_days": due_words(),
    }


@functools.lru_cache(maxsize=64)
def _board_params(filter_items: tuple[tuple[str, str], ...]) -> str:
    """What every stage change from the board sends besides the card's version: the origin
    and the board's filters (as sorted (name, value) pairs, so the answer is cached)."""
    return urlencode({"origin": "board", "filters": urlencode(filter_items)})


class BoardHtml:
    """The board's HTML for one request (its language, time zone and filters)."""

    def __init__(self, filter_query: dict[str, str] | None = None, *,
                 movable: bool = True) -> None:
        # movable: the reader may move deals here (a marketer's board has no "Move to…").
        self.movable = movable
        self.language = get_language()
        self.labels = _labels(self.language)
        self.filter_query = dict(filter_query or {})
        self.params = escape(_board_params(tuple(sorted(self.filter_query.items()))))
        self.tz = timezone.get_current_timezone()
        self.today = timezone.localdate()
        self.date_pattern = _short_date_pattern(self.language)
        self.deal_a, self.deal_b, self.move_a, self.move_b = _paths(get_script_prefix())
        self._days: dict[int, str] = {}
        self._escaped: dict[str, str] = {}

    # -- values, as the template filters of the same name show them --------------------------

    def money(self, value: Any) -> str:
        return money_text(value if isinstance(value, Decimal) else Decimal(str(value)))

    def due(self, value: datetime.datetime) -> str:
        return due_text(value.astimezone(self.tz), self.today, self.labels["due_days"],
                        self.date_pattern)

    def days(self, n: int) -> str:
        text = self._days.get(n)
        if text is None:
            text = self._days[n] = escape(days(n))
        return text

    def _escape_repeated(self, text: str) -> str:
        """Escaped once per request: owner names repeat over hundreds of cards."""
        out = self._escaped.get(text)
        if out is None:
            out = self._escaped[text] = escape(text)
        return out

    # -- pieces ------------------------------------------------------------------------------

    def card(self, card: BoardCard) -> str:
        """One card. Every value put in is escaped (html.escape, quotes too)."""
        deal = card.deal
        labels = self.labels
        deal_id = deal.id
        warn = " card-warn" if card.over_time_limit or card.task_overdue else ""
        company = (f'<div class="card-company">{escape(deal.company)}</div>'
                   if deal.company_id else "")
        if card.no_task:
            task = (f'<div class="card-task none"><span class="dot dot-warn" '
                    f'aria-hidden="true"></span>{labels["no_task"]}</div>')
        else:
            late = " overdue" if card.task_overdue else ""
            dot = " dot-danger" if card.task_overdue else ""
            text = escape(card.next_task_text or "")
            task = (f'<div class="card-task{late}" title="{text}"><span class="dot{dot}" '
                    f'aria-hidden="true"></span><span class="card-task-text">'
                    f'{escape(self.due(card.next_task_due))} · {text}</span></div>')
        if card.over_time_limit:
            stay = (f'<span class="pill pill-danger" title="{labels["over_title"]}">'
                    f'{self.days(card.days_in_stage)} · {labels["over_limit"]}</span>')
        else:
            stay = (f'<span class="pill" title="{labels["days_title"]}">'
                    f'{self.days(card.days_in_stage)}</span>')
        if deal.facts_unverified:
            stay += (f' <span class="pill pill-warn" title="{labels["unverified_title"]}">'
                     f'{labels["unverified"]}</span>')
        budget = (f'<span class="card-budget">{self.money(deal.budget)}</span>' if deal.budget
                  else f'<span class="card-budget none" title="{labels["no_budget_title"]}">'
                       f'{labels["no_budget"]}</span>')
        move = ""
        if self.movable:
            aria = escape(labels["move_aria"] % {"title": deal.title})
            move = (f'<button type="button" class="btn btn-ghost btn-small card-move" '
                    f'hx-get="{self.move_a}{deal_id}{self.move_b}?{self.params}&amp;'
                    f'version={deal.version}" hx-target="#modal" aria-label="{aria}">'
                    f'{labels["move"]}</button>')
        return (
            f'<article class="card{warn}" id="card-{deal_id}" data-deal="{deal_id}" '
            f'data-version="{deal.version}" data-stage="{deal.stage_id}">'
            f'<a class="card-title" draggable="false" href="{self.deal_a}{deal_id}'
            f'{self.deal_b}">{escape(deal.title)}</a>'
            f'{company}<div class="card-row">{budget}<span class="card-owner" '
            f'title="{labels["owner"]}">{self._escape_repeated(deal.owner)}</span>'
            f'</div>{task}<div class="card-foot">{stay}{move}</div></article>')

    def column_head(self, stage: Any, count: int, total: Any, *, oob: bool = False) -> str:
        """A column's name, goal, and the count and budget of all its deals."""
        goal = ""
        if stage.goal:
            text = f'{self.labels["goal"]}: {escape(stage.goal)}'
            goal = f'<div class="colhead-goal" title="{text}">{text}</div>'
        noun = escape(ngettext("deal", "deals", count))
        swap = ' hx-swap-oob="true"' if oob else ""
        return (
            f'<header class="colhead" id="colhead-{stage.pk}"{swap}>\n'
            f'  <div class="colhead-name" id="colname-{stage.pk}">{escape(stage.name)}</div>\n'
            f'  {goal}\n'
            f'  <div class="colhead-totals"><span class="colhead-count"><b>{count}</b> {noun}'
            f'</span><span class="colhead-sum"><b>{self.money(total)}</b></span></div>\n'
            f'</header>\n')

    def column_cards(self, column: BoardColumn, pipeline_id: int) -> str:
        """A column's cards and, when it has more deals, the marker that loads the next
        page when scrolled into view."""
        html = "".join([self.card(card) for card in column.cards])
        next_offset = column.next_offset
        if next_offset:
            head, middle, tail = _more_path(get_script_prefix())
            query = escape(urlencode({**self.filter_query, "offset": str(next_offset)}))
            html += (f'\n<div class="more" hx-get="{head}{pipeline_id}{middle}'
                     f'{column.stage.pk}{tail}?{query}" hx-trigger="intersect once" '
                     f'hx-swap="outerHTML">{self.labels["loading"]}</div>')
        return html

    def column_sections(self, board: Board) -> list[str]:
        """Each column's section: head, first cards, next-page marker. Kept apart: joined,
        the board is one string of ~300 KB (see ``render_with_parts``)."""
        pipeline_id = board.pipeline.pk
        return [
            f'\n<section class="column" aria-labelledby="colname-{column.stage.pk}">\n  '
            f'{self.column_head(column.stage, column.count, column.budget)}'
            f'  <div class="cards" id="cards-{column.stage.pk}" '
            f'data-stage="{column.stage.pk}">{self.column_cards(column, pipeline_id)}</div>\n'
            f'</section>\n'
            for column in board.columns]
