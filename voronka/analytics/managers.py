"""Managers side by side: each one's funnel, its shape, and call minutes.

The funnel per manager follows the report's mode (cohort or flow) and counts the deals the
manager owns now. The shape (shapes.classify) is read from the manager's open deals on each
stage now — Dubrovin's "individual form" is the present distribution of the pipeline. Calls
are measured in minutes, not counted (seed 003 §11): the total duration of the manager's
calls that started in the period.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum

from voronka.accounts.models import User
from voronka.activities.models import Call

from .funnel import Funnel, build_funnel, funnel_by_owner
from .query import Amount, Context, Filters, cells, context, day_bounds
from .shapes import Bar, classify, picture


@dataclass
class ManagerRow:
    user_id: int
    name: str
    funnel: Funnel
    open_now: list[Amount]
    shape: str | None
    picture: list[Bar]
    call_minutes: Decimal
    calls: int


@dataclass
class Managers:
    rows: list[ManagerRow]
    total_call_minutes: Decimal


def minutes(seconds: int) -> Decimal:
    """Seconds as minutes to 0.1 (rounded once: totals are summed in seconds first)."""
    return (Decimal(seconds) / 60).quantize(Decimal("0.1"))


def call_seconds(owners: list[int], first: datetime.date, last: datetime.date
                 ) -> dict[int, tuple[int, int]]:
    """Per owner: (total seconds, number) of the calls that started in [first, last]."""
    start, end = day_bounds(first, last)
    rows = (Call.objects.filter(user_id__in=owners, started_at__gte=start, started_at__lt=end)
            .values("user_id").annotate(seconds=Sum("duration_seconds"), n=Count("id")))
    return {r["user_id"]: (int(r["seconds"] or 0), r["n"]) for r in rows}


def managers_report(*, user: User, filters: Filters) -> tuple[Context, Managers]:
    ctx = context(user, filters)
    funnels = funnel_by_owner(ctx)
    open_cells = cells("C", ctx.scope, None, ("stage_id",), by_owner=True,
                       where={"status": "open"})
    owners = set(funnels) | {key[0] for key in open_cells}
    if ctx.scope.owners is not None:
        owners &= ctx.scope.owners
    calls = call_seconds(sorted(owners), filters.date_from, filters.date_to)
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=owners)}
    rows = []
    for owner in owners:
        now = [Amount.of(open_cells.get((owner, s.id))) for s in ctx.stages]
        counts = [a.n for a in now]
        seconds, n_calls = calls.get(owner, (0, 0))
        funnel = funnels.get(owner) or build_funnel(ctx, filters.mode, {}, {})
        rows.append(ManagerRow(owner, names.get(owner, str(owner)), funnel, now,
                               classify(counts), picture(counts), minutes(seconds),
                               n_calls))
    rows.sort(key=lambda r: (-r.funnel.requests.n, r.name))
    total = sum(calls.get(r.user_id, (0, 0))[0] for r in rows)
    return ctx, Managers(rows, minutes(total))
