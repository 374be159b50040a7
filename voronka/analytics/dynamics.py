"""Dynamics: new deals against won deals (count and budget) by day, week or month.

New = deals created in the bucket (budget as it is now); won = the standing wins made in the
bucket (a deal's last close, if it is a win and no reopening followed it; budget recorded on
the win).
Weeks start on Monday; buckets are clipped to the period.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from voronka.accounts.models import User

from .query import Amount, Context, Filters, cells, context, month_end

DAY, WEEK, MONTH = "day", "week", "month"
GRANULARITIES = (DAY, WEEK, MONTH)


@dataclass
class Point:
    start: datetime.date
    end: datetime.date
    new: Amount
    won: Amount


@dataclass
class Dynamics:
    granularity: str
    points: list[Point]
    new: Amount
    won: Amount


def bucket_start(day: datetime.date, granularity: str) -> datetime.date:
    if granularity == WEEK:
        return day - datetime.timedelta(days=day.weekday())
    if granularity == MONTH:
        return day.replace(day=1)
    return day


def buckets(first: datetime.date, last: datetime.date, granularity: str
            ) -> list[tuple[datetime.date, datetime.date]]:
    out = []
    start = bucket_start(first, granularity)
    while start <= last:
        if granularity == WEEK:
            end = start + datetime.timedelta(days=6)
        elif granularity == MONTH:
            end = month_end(start)
        else:
            end = start
        out.append((max(start, first), min(end, last)))
        start = end + datetime.timedelta(days=1)
    return out


def dynamics_report(*, user: User, filters: Filters, granularity: str = WEEK
                    ) -> tuple[Context, Dynamics]:
    if granularity not in GRANULARITIES:
        granularity = WEEK
    ctx = context(user, filters)
    period = (filters.date_from, filters.date_to)
    daily = granularity != MONTH
    created = cells("C", ctx.scope, period, ("day",), daily=daily)
    won = cells("F", ctx.scope, period, ("day",), daily=daily, where={"kind": "won"})
    points = {}
    for start, end in buckets(*period, granularity):
        points[bucket_start(start, granularity)] = Point(start, end, Amount(), Amount())
    for rows, attr in ((created, "new"), (won, "won")):
        for (day,), cell in rows.items():
            if isinstance(day, str):
                day = datetime.date.fromisoformat(day)
            point = points.get(bucket_start(day, granularity))
            if point is not None:
                setattr(point, attr, getattr(point, attr) + Amount.of(cell))
    ordered = [points[k] for k in sorted(points)]
    return ctx, Dynamics(granularity, ordered, sum((p.new for p in ordered), Amount()),
                         sum((p.won for p in ordered), Amount()))
