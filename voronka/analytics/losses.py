"""Losses: reasons by stage and by manager.

Cohort mode: the deals created in the period that are lost now, at the stage they were lost
on (a deal reopened since is not lost). Flow mode: the standing losses made in the period,
whenever the deals were created — a deal's last close, if it is a loss and no reopening
followed it — valued at the budget recorded on that loss.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from voronka.accounts.models import User

from .query import COHORT, Amount, Context, Filters, cells, context, ratio


@dataclass
class LossLine:
    key: int  # stage id or owner id
    name: str
    by_reason: dict[int, Amount]
    total: Amount


@dataclass
class Losses:
    reasons: list[tuple[int, str]]
    by_stage: list[LossLine]
    by_manager: list[LossLine]
    by_reason: dict[int, Amount]
    total: Amount

    def share(self, reason_id: int) -> float | None:
        amount = self.by_reason.get(reason_id)
        return ratio(amount.n, self.total.n) if amount else None


def _loss_cells(ctx: Context, by_owner: bool) -> dict[tuple, list[int]]:
    f = ctx.filters
    period = (f.date_from, f.date_to)
    if f.mode == COHORT:
        return cells("C", ctx.scope, period, ("stage_id", "loss_reason_id"), by_owner=by_owner,
                     where={"status": "lost"})
    return cells("F", ctx.scope, period, ("stage_id", "loss_reason_id"), by_owner=by_owner,
                 where={"kind": "lost"})


def losses_report(*, user: User, filters: Filters) -> tuple[Context, Losses]:
    ctx = context(user, filters)
    stage_rows = _loss_cells(ctx, False)
    owner_rows = _loss_cells(ctx, True)
    by_stage: dict[int, dict[int, Amount]] = defaultdict(dict)
    by_reason: dict[int, Amount] = defaultdict(Amount)
    for (stage_id, reason), cell in stage_rows.items():
        by_stage[stage_id][reason] = Amount.of(cell)
        by_reason[reason] += Amount.of(cell)
    by_owner: dict[int, dict[int, Amount]] = defaultdict(lambda: defaultdict(Amount))
    for (owner, _stage_id, reason), cell in owner_rows.items():
        by_owner[owner][reason] += Amount.of(cell)
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=list(by_owner))}
    stage_lines = [LossLine(s.id, s.name, dict(by_stage.get(s.id, {})),
                            sum(by_stage.get(s.id, {}).values(), Amount())) for s in ctx.stages]
    manager_lines = sorted(
        (LossLine(o, names.get(o, str(o)), dict(r), sum(r.values(), Amount()))
         for o, r in by_owner.items()), key=lambda line: (-line.total.n, line.name))
    used = [r for r in ctx.reasons if r in by_reason] + sorted(set(by_reason) - set(ctx.reasons))
    reasons = [(r, ctx.reasons.get(r, "?")) for r in used]
    total = sum(by_reason.values(), Amount())
    return ctx, Losses(reasons, stage_lines, manager_lines, dict(by_reason), total)
