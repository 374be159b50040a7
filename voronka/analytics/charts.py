"""ECharts options for the reports, built from the report data (plain dicts, sent as JSON).

Every bar or point carries the URL of the deals behind it (``url``); the page's script opens
it on click, like the numbers in the tables beside the charts.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _

BRAND, OK, DANGER, MUTED, WARN = "#2f6fed", "#1d8a4a", "#c23b3b", "#9aa4b2", "#d88a00"
PALETTE = [BRAND, "#7aa7ff", OK, WARN, DANGER, "#7b5cd6", "#1aa3a3", "#b0568f", MUTED]


def _base(**extra) -> dict:
    return {"color": PALETTE, "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
            "legend": {"top": 0, "type": "scroll"},
            "grid": {"left": 8, "right": 24, "top": 40, "bottom": 8, "containLabel": True},
            **extra}


def _stage_axis(names: list[str]) -> dict:
    """Stages down the side, first on top, long names wrapped."""
    return {"type": "category", "data": names, "inverse": True,
            "axisLabel": {"width": 150, "overflow": "break"}}


def _point(value, url: str, **extra) -> dict:
    return {"value": value, "url": url, **extra}


def funnel_chart(funnel, link: Callable[[str], str]) -> dict:
    names = [s.name for s in funnel.stages] + [_("Won")]
    reached = [_point(s.reached.n, link(f"reached:{s.id}"), budget=str(s.reached.budget))
               for s in funnel.stages]
    reached.append(_point(funnel.won.n, link("won"), budget=str(funnel.won.budget),
                          itemStyle={"color": OK}))
    now = [_point(s.now.n, link(f"now:{s.id}"), budget=str(s.now.budget))
           for s in funnel.stages] + [None]
    lost = [_point(s.lost.n, link(f"lost:{s.id}"), budget=str(s.lost.budget))
            for s in funnel.stages] + [None]
    return _base(
        yAxis=_stage_axis(names),
        xAxis={"type": "value", "minInterval": 1},
        series=[{"name": _("Reached"), "type": "bar", "data": reached,
                 "label": {"show": True, "position": "right"}},
                {"name": _("On the stage now"), "type": "bar", "data": now},
                {"name": _("Lost"), "type": "bar", "data": lost, "itemStyle": {"color": DANGER}}])


def _days(hours) -> float | None:
    return None if hours is None else round(hours / 24, 2)


def timing_chart(timing, link: Callable[[str], str]) -> dict:
    stages = timing.stages
    return _base(
        yAxis=_stage_axis([s.name for s in stages]),
        xAxis={"type": "value", "name": _("days"), "nameLocation": "middle", "nameGap": 24},
        series=[{"name": name, "type": "bar",
                 "data": [_point(_days(getattr(s, attr)), link(f"stays:{s.id}"))
                          for s in stages]}
                for name, attr in ((_("Mean"), "mean_hours"), (_("Median"), "median_hours"),
                                   (_("90th percentile"), "p90_hours"))])


def cycle_chart(cycle, link: Callable[[str], str]) -> dict:
    labels = [f"{lo}–{hi}" if hi else f"{lo}+" for lo, hi, _n in cycle.bands]
    return _base(xAxis={"type": "category", "data": labels, "name": _("days"),
                        "nameLocation": "middle", "nameGap": 24},
                 yAxis={"type": "value", "minInterval": 1},
                 series=[{"name": _("Won deals"), "type": "bar", "itemStyle": {"color": OK},
                          "data": [_point(n, link("won")) for _lo, _hi, n in cycle.bands]}])


def managers_chart(ctx, rows, link: Callable[[str, int], str]) -> dict:
    return _base(
        yAxis=_stage_axis([s.name for s in ctx.stages]),
        xAxis={"type": "value", "minInterval": 1},
        series=[{"name": r.name, "type": "bar",
                 "data": [_point(s.reached.n, link(f"reached:{s.id}", r.user_id))
                          for s in r.funnel.stages]} for r in rows[:12]])


def losses_chart(losses, link: Callable[[str], str]) -> dict:
    return _base(
        yAxis=_stage_axis([line.name for line in losses.by_stage]),
        xAxis={"type": "value", "minInterval": 1},
        series=[{"name": name, "type": "bar", "stack": "lost",
                 "data": [_point(line.by_reason[r].n if r in line.by_reason else 0,
                                 link(f"lost:{line.key}:{r}")) for line in losses.by_stage]}
                for r, name in losses.reasons])


def dynamics_chart(dyn, link: Callable[[str], str]) -> dict:
    labels = [p.start.isoformat() for p in dyn.points]
    return _base(
        xAxis={"type": "category", "data": labels},
        yAxis=[{"type": "value", "minInterval": 1, "name": _("deals")},
               {"type": "value", "name": _("budget"), "splitLine": {"show": False}}],
        series=[
            {"name": _("New deals"), "type": "bar", "data": [
                _point(p.new.n, link(f"new:{p.start}:{p.end}")) for p in dyn.points]},
            {"name": _("Won deals"), "type": "bar", "itemStyle": {"color": OK}, "data": [
                _point(p.won.n, link(f"wonin:{p.start}:{p.end}")) for p in dyn.points]},
            {"name": _("New, budget"), "type": "line", "yAxisIndex": 1, "data": [
                _point(float(p.new.budget), link(f"new:{p.start}:{p.end}"))
                for p in dyn.points]},
            {"name": _("Won, budget"), "type": "line", "yAxisIndex": 1,
             "itemStyle": {"color": "#0f5c30"}, "data": [
                 _point(float(p.won.budget), link(f"wonin:{p.start}:{p.end}"))
                 for p in dyn.points]}])
