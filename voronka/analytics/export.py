"""Every report as tables, written to CSV or XLSX (openpyxl) — the same figures as the page.

A report becomes a list of :class:`Table`; the first is a header with the filters, the last
the definitions of the metrics used. Money stays Decimal, shares are fractions (XLSX shows
them as percentages), durations are in days, stage time limits as the pipeline editor says
them ("14 days", "100 hours"). CSV follows the reader's language: where the decimal separator
is a comma (Russian), cells are separated by ";" and decimals written with ",", so a
spreadsheet opens it in columns; the time it was made is in the local time zone.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.formats import get_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from voronka.core import cells
from voronka.web.templatetags.web_tags import hours_or_days

from . import metrics
from .query import Context


class Share(float):
    """A fraction shown as a percentage."""


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[object]]


def _days(hours) -> Decimal | None:
    return None if hours is None else (Decimal(str(hours)) / 24).quantize(Decimal("0.01"))


def _share(value) -> Share | None:
    return None if value is None else Share(value)


def header(ctx: Context, report: str) -> Table:
    f = ctx.filters
    rows = [[_("Report"), report], [_("Pipeline"), ctx.pipeline.name],
            [_("Period"), f"{f.date_from.isoformat()} – {f.date_to.isoformat()}"],
            [_("Mode"), _("cohort") if f.mode == "cohort" else _("flow")]]
    if f.team_id:
        rows.append([_("Team"), str(f.team_id)])
    if f.owner_id:
        rows.append([_("Manager"), str(f.owner_id)])
    if f.source is not None:
        rows.append([_("Source"), f.source or "—"])
    generated = timezone.localtime(ctx.generated_at)
    rows.append([_("Generated"), generated.isoformat(sep=" ", timespec="seconds")])
    return Table(_("Filters"), [_("Filter"), _("Value")], rows)


def definitions(codes: list[str]) -> Table:
    return Table(_("Definitions"), [_("Metric"), _("Definition")],
                 [[str(metrics.metric(c).label), str(metrics.metric(c).definition)]
                  for c in codes])


def funnel_tables(ctx: Context, funnel) -> list[Table]:
    reasons = funnel.reasons_used
    headers = [_("Stage"), _("Reached"), _("Reached, budget"), _("On the stage now"),
               _("Now, budget"), _("To the next stage"), _("From the first stage"), _("Lost"),
               _("Lost, budget")] + [f"{_('Lost')}: {name}" for _r, name in reasons]
    rows = [[s.name, s.reached.n, s.reached.budget, s.now.n, s.now.budget,
             _share(s.conversion_next), _share(s.conversion_first), s.lost.n, s.lost.budget]
            + [s.lost_by_reason[r].n if r in s.lost_by_reason else 0 for r, _n in reasons]
            for s in funnel.stages]
    summary = [[_("Requests"), funnel.requests.n, funnel.requests.budget],
               [_("Won"), funnel.won.n, funnel.won.budget],
               [_("Lost"), funnel.lost.n, funnel.lost.budget],
               [_("Conversion"), _share(funnel.conversion), None]]
    return [header(ctx, _("Funnel")), Table(_("Funnel"), headers, rows),
            Table(_("Totals"), [_("Metric"), _("Deals"), _("Budget")], summary),
            definitions(["requests", "reached", "now", "conversion_next", "conversion_first",
                         "lost", "won", "conversion"])]


def timing_tables(ctx: Context, timing) -> list[Table]:
    stages = [[s.name, s.stays, _days(s.mean_hours), _days(s.median_hours), _days(s.p90_hours),
               hours_or_days(s.time_limit_hours), s.over_limit, _share(s.over_limit_share)]
              for s in timing.stages]
    c, v = timing.cycle, timing.velocity
    bands = [[f"{lo}–{hi}" if hi else f"{lo}+", n] for lo, hi, n in c.bands]
    velocity = [[_("Open deals"), v.open.n], [_("Open deals, budget"), v.open.budget],
                [_("Won"), v.won.n], [_("Lost"), v.lost], [_("Win rate"), _share(v.win_rate)],
                [_("Average won budget"), v.average_won_budget],
                [_("Average cycle, days"), v.average_cycle_days],
                [_("Pipeline velocity, per day"), v.per_day],
                [_("Sales cycle: median, days"), c.median_days],
                [_("Sales cycle: 90th percentile, days"), c.p90_days]]
    return [header(ctx, _("Time in stage")),
            Table(_("Time in stage"), [_("Stage"), _("Stays"), _("Mean, days"),
                                       _("Median, days"), _("90th percentile, days"),
                                       _("Time limit"), _("Over the limit"),
                                       _("Over the limit, share")], stages),
            Table(_("Sales cycle"), [_("Days"), _("Deals")], bands),
            Table(_("Velocity"), [_("Metric"), _("Value")], velocity),
            definitions(["stays", "mean_time", "median_time", "p90_time", "over_limit", "cycle",
                         "open", "win_rate", "average_won_budget", "average_cycle",
                         "velocity"])]


def managers_tables(ctx: Context, report) -> list[Table]:
    from .shapes import NAMES

    stages = [s.name for s in ctx.stages]
    headers = ([_("Manager"), _("Requests"), _("Won"), _("Won, budget"), _("Conversion")]
               + [f"{_('Reached')}: {s}" for s in stages]
               + [f"{_('On the stage now')}: {s}" for s in stages]
               + [_("Funnel shape"), _("Call minutes"), _("Calls")])
    rows = [[r.name, r.funnel.requests.n, r.funnel.won.n, r.funnel.won.budget,
             _share(r.funnel.conversion)] + [s.reached.n for s in r.funnel.stages]
            + [a.n for a in r.open_now]
            + [str(NAMES[r.shape]) if r.shape else "", r.call_minutes, r.calls]
            for r in report.rows]
    return [header(ctx, _("Managers")), Table(_("Managers"), headers, rows),
            definitions(["requests", "reached", "now", "won", "conversion", "shape",
                         "call_minutes"])]


def losses_tables(ctx: Context, losses) -> list[Table]:
    names = [name for _r, name in losses.reasons]

    def line(entry):
        return ([entry.name, entry.total.n, entry.total.budget]
                + [entry.by_reason[r].n if r in entry.by_reason else 0 for r, _n in losses.reasons])

    heads = [_("Lost"), _("Lost, budget")] + names
    reasons = [[name, losses.by_reason[r].n, losses.by_reason[r].budget, _share(losses.share(r))]
               for r, name in losses.reasons]
    return [header(ctx, _("Losses")),
            Table(_("By stage"), [_("Stage"), *heads], [line(s) for s in losses.by_stage]),
            Table(_("By manager"), [_("Manager"), *heads], [line(m) for m in losses.by_manager]),
            Table(_("By reason"), [_("Reason"), _("Lost"), _("Lost, budget"),
                                   _("Share of losses")], reasons),
            definitions(["lost", "loss_share"])]


def dynamics_tables(ctx: Context, dyn) -> list[Table]:
    rows = [[p.start, p.end, p.new.n, p.new.budget, p.won.n, p.won.budget] for p in dyn.points]
    return [header(ctx, _("Dynamics")),
            Table(_("Dynamics"), [pgettext("date range", "From"),
                                  pgettext("date range", "To"), _("New deals"), _("New, budget"),
                                  _("Won deals"), _("Won, budget")], rows),
            definitions(["new", "won_in"])]


def _csv_value(value: object, decimal: str) -> object:
    if value is None:
        return ""
    if isinstance(value, Share):
        text = f"{value:.4f}"
    elif isinstance(value, Decimal | float):
        text = str(value)
    else:
        return value
    return text.replace(".", decimal) if decimal != "." else text


def to_csv(tables: list[Table]) -> bytes:
    """UTF-8 with a BOM (spreadsheets then read Cyrillic right); tables one under another.
    In the active language's number format: with a decimal comma, ";" between cells."""
    decimal = str(get_format("DECIMAL_SEPARATOR"))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if decimal == "," else ",")
    for i, table in enumerate(tables):
        if i:
            writer.writerow([])
        writer.writerow(cells.csv_row([table.title]))
        writer.writerow(cells.csv_row(table.headers))
        for row in table.rows:
            writer.writerow(cells.csv_row([_csv_value(v, decimal) for v in row]))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(tables: list[Table]) -> bytes:
    """One sheet per table, headers bold, money with two decimals, shares as percentages."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for table in tables:
        title = "".join(ch for ch in table.title if ch not in "[]:*?/\\")[:28] or "Sheet"
        while title in used:
            title = f"{title[:26]}_{len(used)}"
        used.add(title)
        sheet = book.create_sheet(title)
        sheet.append(table.headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(cells.xlsx_row(sheet, [float(v) if isinstance(v, Share) else v
                                                for v in row]))
            for value, cell in zip(row, sheet[sheet.max_row], strict=False):
                if isinstance(value, Share):
                    cell.number_format = "0.0%"
                elif isinstance(value, Decimal):
                    cell.number_format = "#,##0.00"
        for i, head in enumerate(table.headers, start=1):
            width = max([len(str(head))] + [len(str(r[i - 1])) for r in table.rows
                                            if i - 1 < len(r) and r[i - 1] is not None])
            sheet.column_dimensions[sheet.cell(1, i).column_letter].width = min(60, width + 2)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
