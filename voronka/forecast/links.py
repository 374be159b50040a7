"""Where every figure of the forecast screens drills down to: the deals behind it.

Counts of deals link to the deals list, filtered to exactly the deals the figure counted
(pipeline, the manager or the team, status, stage, creation or closing dates). The lists apply
the reader's visibility on top, as everywhere.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.urls import reverse

from voronka.pipelines.models import Pipeline

from .models import WinModel
from .selectors import MemberLine, Prospect


def deals_url(**params: object) -> str:
    return reverse("web:deal_list") + "?" + urlencode(
        {k: v for k, v in params.items() if v is not None})


def whose(pipeline: Pipeline, owner_id: int | None) -> dict[str, object]:
    """The deals list's filters for one manager's deals, or the whole team's."""
    if owner_id is not None:
        return {"pipeline": pipeline.pk, "owner": owner_id}
    return {"pipeline": pipeline.pk, "team": pipeline.team_id}


def won_in_month_url(pipeline: Pipeline, owner_id: int | None, first: datetime.date,
                     as_of: datetime.date) -> str:
    """The deals won now whose win was recorded from the first of the month to ``as_of``:
    what "won so far" counts (a deal reopened since is not in it, one won twice is once)."""
    return deals_url(**whose(pipeline, owner_id), status="won", closed_from=first.isoformat(),
                     closed_to=as_of.isoformat())


def open_url(pipeline: Pipeline, owner_id: int | None) -> str:
    return deals_url(**whose(pipeline, owner_id), status="open")


def on_stage_url(pipeline: Pipeline, owner_id: int | None, stage_id: int) -> str:
    """Open deals on the stage or a later one ("there now" of the required pipeline)."""
    return deals_url(**whose(pipeline, owner_id), status="open", stage=stage_id, onwards=1)


@dataclass
class ProspectLinks:
    won: str  # won this month
    open: str  # open deals: the weighted pipeline and the simulation run over them
    closed: str  # the form's closed deals in the window (the subject's own)
    form_won: str  # the won deals the average won budget is taken from (the team's when the
    # form borrows the team's rates: a link for those who may see the team only)
    reached: dict[int, str] = field(default_factory=dict)  # stage → the form's "reached"
    now: dict[int, str] = field(default_factory=dict)  # stage → "there now"


def prospect_links(p: Prospect) -> ProspectLinks:
    owner_id = p.owner.pk if p.owner else None
    # A manager with too little history borrows the team's rates (the average won budget is
    # the team's), but the counts stay their own.
    window = {"from": p.form.date_from.isoformat(), "to": p.form.date_to.isoformat()}
    form_scope = whose(p.pipeline, owner_id)
    links = ProspectLinks(
        won=won_in_month_url(p.pipeline, owner_id, p.month, p.as_of),
        open=open_url(p.pipeline, owner_id),
        closed=deals_url(**whose(p.pipeline, owner_id), status="closed", **window),
        form_won=deals_url(**whose(p.pipeline, owner_id if p.form.own else None),
                           status="won", **window))
    for s in p.form.stages:
        links.reached[s.id] = deals_url(**form_scope, status="all", reached=s.id, **window)
        links.now[s.id] = on_stage_url(p.pipeline, owner_id, s.id)
    return links


@dataclass
class LineLinks:
    line: MemberLine
    won: str
    open: str
    short: list[tuple[str, str]]  # (stage name, its "there now" list)


def line_links(pipeline: Pipeline, lines: list[MemberLine], first: datetime.date,
               as_of: datetime.date) -> list[LineLinks]:
    return [LineLinks(line, won_in_month_url(pipeline, line.owner.pk, first, as_of),
                      open_url(pipeline, line.owner.pk),
                      [(name, on_stage_url(pipeline, line.owner.pk, sid))
                       for sid, name in line.short])
            for line in lines]


def model_links(model: WinModel) -> dict[str, str]:
    """The closed deals the model was trained on and those of its hold-out, by closing time
    (as they stand now: a deal reopened since is no longer closed)."""
    split = model.metrics.get("split_at")
    if not split:
        return {}
    base = {"pipeline": model.pipeline_id, "status": "closed"}
    return {"train": deals_url(**base, closed_to=split),
            "test": deals_url(**base, closed_from=split,
                              closed_to=model.created_at.isoformat())}
