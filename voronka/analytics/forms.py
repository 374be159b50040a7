"""The report filter form: parses GET parameters into query.Filters, naming bad fields."""

from __future__ import annotations

import calendar
import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .dynamics import GRANULARITIES, WEEK
from .query import COHORT, FLOW, NO_SOURCE, Filters

PRESETS = [
    ("this_month", _("This month")), ("last_month", _("Last month")),
    ("this_quarter", _("This quarter")), ("last_quarter", _("Last quarter")),
    ("this_year", _("This year")), ("last_year", _("Last year")),
    ("last_12_months", _("Last 12 months")), ("custom", _("Dates…")),
]
MAX_DAYS = 366 * 5


def _month_start(day: datetime.date, back: int = 0) -> datetime.date:
    index = day.year * 12 + day.month - 1 - back
    return datetime.date(index // 12, index % 12 + 1, 1)


def _month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def preset_range(preset: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Whole months, so the reports read month rollups only."""
    if preset == "last_month":
        start = _month_start(today, 1)
        return start, _month_end(start)
    if preset in ("this_quarter", "last_quarter"):
        start = datetime.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
        if preset == "last_quarter":
            start = _month_start(start, 3)
        return start, _month_end(_month_start(start, -2))
    if preset == "this_year":
        return datetime.date(today.year, 1, 1), datetime.date(today.year, 12, 31)
    if preset == "last_year":
        return datetime.date(today.year - 1, 1, 1), datetime.date(today.year - 1, 12, 31)
    if preset == "last_12_months":
        return _month_start(today, 11), _month_end(today)
    return today.replace(day=1), _month_end(today)


class ReportFilterForm(forms.Form):
    pipeline = forms.TypedChoiceField(label=_("Pipeline"), coerce=int)
    period = forms.ChoiceField(label=_("Period"), choices=PRESETS, required=False)
    # "To" alone is also an e-mail's recipient: the context keeps «По», not «Кому».
    date_from = forms.DateField(label=pgettext_lazy("date range", "From"), required=False)
    date_to = forms.DateField(label=pgettext_lazy("date range", "To"), required=False)
    mode = forms.ChoiceField(label=_("Mode"), required=False, choices=[
        (COHORT, _("Cohort: deals created in the period")),
        (FLOW, _("Flow: moves made in the period"))])
    team = forms.TypedChoiceField(label=_("Team"), coerce=int, required=False, empty_value=None)
    manager = forms.TypedChoiceField(label=_("Manager"), coerce=int, required=False,
                                     empty_value=None)
    source = forms.ChoiceField(label=_("Source"), required=False)
    by = forms.ChoiceField(label=_("By"), required=False, choices=[
        ("day", _("day")), ("week", _("week")), ("month", _("month"))])

    def __init__(self, data, *, pipelines, teams, managers, sources, **kw):
        data = data.copy()
        if "from" in data:
            data.setdefault("date_from", data["from"])
        if "to" in data:
            data.setdefault("date_to", data["to"])
        if not data.get("pipeline") and pipelines:
            data["pipeline"] = str(pipelines[0].pk)
        kw.setdefault("auto_id", "f-%s")
        super().__init__(data, **kw)
        self.fields["pipeline"].choices = [(p.pk, p.name) for p in pipelines]
        self.fields["team"].choices = [("", _("All teams"))] + [(t.pk, t.name) for t in teams]
        self.fields["manager"].choices = [("", _("All managers"))] + [
            (u.pk, str(u)) for u in managers]
        self.fields["source"].choices = [("", _("All sources")), (NO_SOURCE, _("No source"))] + [
            (s, s) for s in sources if s]

    def clean(self):
        data = super().clean()
        preset = data.get("period") or ""
        first, last = data.get("date_from"), data.get("date_to")
        if preset != "custom" and not (first and last and not preset):
            first, last = preset_range(preset or "this_month", timezone.localdate())
        if first is None:
            self.add_error("date_from", _("Enter a date."))
        if last is None:
            self.add_error("date_to", _("Enter a date."))
        if first and last:
            if last < first:
                self.add_error("date_to", _("The end is before the start."))
            elif (last - first).days > MAX_DAYS:
                self.add_error("date_to", _("At most five years at a time."))
        data["date_from"], data["date_to"] = first, last
        data["mode"] = data.get("mode") or COHORT
        data["by"] = data.get("by") if data.get("by") in GRANULARITIES else WEEK
        return data

    def filters(self) -> Filters:
        d = self.cleaned_data
        source = d.get("source") or None
        if source == NO_SOURCE:
            source = ""
        return Filters(pipeline_id=d["pipeline"], date_from=d["date_from"],
                       date_to=d["date_to"], mode=d["mode"], team_id=d.get("team"),
                       owner_id=d.get("manager"), source=source)
