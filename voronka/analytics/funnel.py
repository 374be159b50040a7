"""The funnel report, in two modes.

*Cohort*: the deals created in the period, and how far they got — a deal has reached a stage
when its furthest stage is at or beyond it (skips reach the skipped stages; corrections and
reopenings never un-reach one). *Flow*: what happened in the period — first arrivals at each
stage, and the standing wins and losses made in it (a deal's last close, if no reopening
followed it, on its own day), whenever the deals were created.

Per stage: deals that reached it (count and budget), deals on it now, conversion to the next
stage and from the first, deals lost at it by reason; and the deals won. Conversion overall is
purchases ÷ requests (seed 000): won ÷ deals that entered the funnel. A ratio whose
denominator is not positive is shown as "—" (None).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from voronka.accounts.models import User

from .query import COHORT, Amount, Context, Filters, cells, context, ratio


@dataclass
class FunnelStage:
    id: int
    name: str
    index: int
    reached: Amount = field(default_factory=Amount)
    now: Amount = field(default_factory=Amount)
    lost: Amount = field(default_factory=Amount)
    lost_by_reason: dict[int, Amount] = field(default_factory=dict)
    conversion_next: float | None = None
    conversion_first: float | None = None


@dataclass
class Funnel:
    mode: str
    stages: list[FunnelStage]
    won: Amount
    lost: Amount
    requests: Amount
    conversion: float | None
    reasons: dict[int, str]

    @property
    def reasons_used(self) -> list[tuple[int, str]]:
        used = {r for s in self.stages for r in s.lost_by_reason}
        return [(r, name) for r, name in self.reasons.items() if r in used] + [
            (r, "?") for r in sorted(used - set(self.reasons))]


def build_funnel(ctx: Context, mode: str, main: dict[tuple, list[int]],
           now: dict[tuple, list[int]]) -> Funnel:
    """One funnel from cells already grouped: cohort rows (furthest, stage, status, reason) or
    flow rows (kind, stage, reason); ``now`` rows (stage,) → open deals on the stage now."""
    index = {s.id: s.index for s in ctx.stages}
    stages = [FunnelStage(s.id, s.name, s.index) for s in ctx.stages]
    reached = [[0, 0] for _ in stages]
    lost: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    won, requests = [0, 0], [0, 0]
    for key, (n, cents) in main.items():
        if mode == COHORT:
            furthest, stage, status, reason = key
            far = index.get(furthest)
            if far is not None:
                for i in range(far + 1):
                    reached[i][0] += n
                    reached[i][1] += cents
            requests[0] += n
            requests[1] += cents
        else:
            status, stage, reason = key
            if status == "reach" and stage in index:
                reached[index[stage]][0] += n
                reached[index[stage]][1] += cents
        if status == "won":
            won[0] += n
            won[1] += cents
        elif status == "lost" and stage in index:
            cell = lost[index[stage]][reason]
            cell[0] += n
            cell[1] += cents
    if mode != COHORT:
        requests = reached[0][:] if stages else [0, 0]
    for stage in stages:
        i = stage.index
        stage.reached = Amount.of(reached[i])
        stage.now = Amount.of(now.get((stage.id,)))
        stage.lost_by_reason = {r: Amount.of(c) for r, c in lost[i].items()}
        stage.lost = sum(stage.lost_by_reason.values(), Amount())
        following = reached[i + 1][0] if i + 1 < len(stages) else won[0]
        stage.conversion_next = ratio(following, reached[i][0])
        stage.conversion_first = ratio(reached[i][0], reached[0][0])
    total_lost = sum((s.lost for s in stages), Amount())
    return Funnel(mode, stages, Amount.of(won), total_lost, Amount.of(requests),
                  ratio(won[0], requests[0]), ctx.reasons)


COHORT_GROUP = ("furthest_stage_id", "stage_id", "status", "loss_reason_id")
FLOW_GROUP = ("kind", "stage_id", "loss_reason_id")


def funnel_cells(ctx: Context, *, by_owner: bool = False) -> tuple[dict, dict]:
    """The raw material of the funnel: (main cells, open-now cells), optionally by owner."""
    f = ctx.filters
    period = (f.date_from, f.date_to)
    if f.mode == COHORT:
        main = cells("C", ctx.scope, period, COHORT_GROUP, by_owner=by_owner)
        now: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        for key, (n, cents) in main.items():
            owner = key[:1] if by_owner else ()
            _furthest, stage, status, _reason = key[-4:]
            if status == "open":
                cell = now[(*owner, stage)]
                cell[0] += n
                cell[1] += cents
        return main, now
    main = cells("F", ctx.scope, period, FLOW_GROUP, by_owner=by_owner)
    now = cells("C", ctx.scope, None, ("stage_id",), by_owner=by_owner,
                where={"status": "open"})
    return main, now


def split_by_owner(rows: dict[tuple, list[int]]) -> dict[int, dict[tuple, list[int]]]:
    out: dict[int, dict[tuple, list[int]]] = defaultdict(dict)
    for key, value in rows.items():
        out[key[0]][key[1:]] = value
    return out


def funnel_report(*, user: User, filters: Filters) -> tuple[Context, Funnel]:
    ctx = context(user, filters)
    main, now = funnel_cells(ctx)
    return ctx, build_funnel(ctx, filters.mode, main, now)


def funnel_by_owner(ctx: Context) -> dict[int, Funnel]:
    main, now = funnel_cells(ctx, by_owner=True)
    mains, nows = split_by_owner(main), split_by_owner(now)
    return {owner: build_funnel(ctx, ctx.filters.mode, mains.get(owner, {}), nows.get(owner, {}))
            for owner in set(mains) | set(nows)}
