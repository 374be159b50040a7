"""Every number a report shows, with its definition (shown on hover, exported with the data).

Definitions follow the sources: conversion is purchases ÷ requests (seed 000); calls are
measured in minutes (seed 003 §11); a funnel has two numbers per stage, count and budget
(seed 003 §2).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Metric:
    code: str
    label: Promise
    definition: Promise

    def text(self, lang: str) -> str:
        with translation.override(lang):
            return f"{self.label}: {self.definition}"


_ALL = [
    Metric("requests", _("Requests"), _(
        "Deals that entered the funnel: in cohort mode the deals created in the period, in flow "
        "mode the deals that reached the first stage in the period.")),
    Metric("reached", _("Reached"), _(
        "Deals whose furthest stage is this one or a later one (cohort), or that arrived at or "
        "beyond it for the first time in the period (flow). A skip reaches the skipped stages; "
        "corrections and reopenings never take a stage back. Count and total budget.")),
    Metric("now", _("On the stage now"), _(
        "Open deals on the stage at this moment, count and total budget (cohort mode: of the "
        "deals created in the period).")),
    Metric("conversion_next", _("To the next stage"), _(
        "Reached the next stage ÷ reached this one (the last stage: won ÷ reached). In flow "
        "mode both are moves of the period, so it can exceed 100%.")),
    Metric("conversion_first", _("From the first stage"), _(
        "Reached this stage ÷ reached the first stage.")),
    Metric("lost", _("Lost"), _(
        "Deals lost at this stage, by reason: in cohort mode those lost now, in flow mode "
        "those whose last close is a loss made in the period and not reopened since, at the "
        "budget recorded on that loss.")),
    Metric("won", _("Won"), _(
        "Deals won, count and total budget: in cohort mode those won now, in flow mode those "
        "whose last close is a win made in the period and not reopened since, at the budget "
        "recorded on that win.")),
    Metric("conversion", _("Conversion"), _(
        "Purchases ÷ requests: won deals ÷ deals that entered the funnel (in flow mode both "
        "in the period, so it can exceed 100%).")),
    Metric("stays", _("Stays"), _(
        "Times a deal left this stage in the period — by an advance, a skip, a win, a loss or "
        "a correction. A reopened deal starts a new stay; time in the archive is not counted.")),
    Metric("mean_time", _("Mean time"), _(
        "Total time of the stays ÷ number of stays, exact.")),
    Metric("median_time", _("Median"), _(
        "Half of the stays were this long or shorter (nearest rank), the durations rounded up "
        "to whole hours up to 3 days, whole days up to 90 days, whole weeks beyond.")),
    Metric("p90_time", _("90th percentile"), _(
        "Nine stays in ten were this long or shorter (nearest rank, same rounding as the "
        "median).")),
    Metric("over_limit", _("Over the limit"), _(
        "Share of the stays longer than the stage's time limit, by their exact duration.")),
    Metric("cycle", _("Sales cycle"), _(
        "From a deal's creation to its win, for the deals won in the period and not reopened "
        "since; in whole days, rounded up.")),
    Metric("open", _("Open deals"), _("Deals open now, count and total budget.")),
    Metric("win_rate", _("Win rate"), _(
        "Won ÷ (won + lost), counting the deals won or lost in the period and not reopened "
        "since.")),
    Metric("average_won_budget", _("Average won budget"), _(
        "Budget of the deals won in the period and not reopened since ÷ their number.")),
    Metric("average_cycle", _("Average cycle"), _(
        "Mean days from creation to win, for the deals won in the period and not reopened "
        "since.")),
    Metric("velocity", _("Pipeline velocity"), _(
        "Open deals × win rate × average won budget ÷ average cycle in days: the money the "
        "current pipeline brings per day (“—” when the period has no won deal).")),
    Metric("shape", _("Funnel shape"), _(
        "The form of the manager's individual funnel — the open deals on each stage now (at "
        "least five): pipe if every stage is within 20 percent of the widest; barrel if a middle "
        "stage is wider than both ends by more than that; guitar if a middle stage is "
        "narrower than both ends by more than that; otherwise trapezoid (first stage at "
        "least as wide as the last) or skirt.")),
    Metric("call_minutes", _("Call minutes"), _(
        "Total duration of the manager's calls that started in the period, in minutes. Calls "
        "are measured in minutes, not counted.")),
    Metric("new", _("New deals"), _("Deals created in the interval; budget as it is now.")),
    Metric("won_in", _("Won deals"), _(
        "Deals won in the interval and not reopened since, at the budget recorded on the "
        "win.")),
    Metric("loss_share", _("Share of losses"), _(
        "Losses for this reason ÷ all losses in the report.")),
]
METRICS: dict[str, Metric] = {m.code: m for m in _ALL}


def metric(code: str) -> Metric:
    return METRICS[code]
