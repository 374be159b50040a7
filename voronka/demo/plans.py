"""Monthly plans for the demo: for the last three months, this month and the next, each
manager's plan is 10 % above their average won revenue and wins per month over the history
(rounded up to 10 000 and to a whole deal); the team's plan is 5 % above the sum of its
managers'. Written through voronka.forecast.plans.plan_set by the team's head."""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth

from voronka.accounts.models import Role, Team, User
from voronka.deals.models import Deal
from voronka.forecast.plans import plan_set


def _shift(month: datetime.date, by: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + by
    return datetime.date(index // 12, index % 12 + 1, 1)


def _round_up(value: Decimal, step: int = 10_000) -> Decimal:
    return Decimal(math.ceil(value / step) * step)


def write_plans(as_of: datetime.datetime) -> int:
    this_month = as_of.date().replace(day=1)
    months = [_shift(this_month, k) for k in (-3, -2, -1, 0, 1)]
    rows = (Deal.objects.filter(status=Deal.Status.WON).annotate(m=TruncMonth("closed_at"))
            .values("owner_id", "m").annotate(n=Count("id"), b=Sum("budget")))
    history: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for r in rows:
        history[r["owner_id"]].append((r["n"], r["b"] or Decimal("0")))
    written = 0
    for team in Team.objects.order_by("pk"):
        head = User.objects.filter(team=team, role=Role.HEAD).order_by("pk").first()
        if head is None:
            continue
        total_revenue, total_wins = Decimal("0"), 0
        for person in User.objects.filter(team=team, role=Role.MANAGER).order_by("pk"):
            months_seen = history.get(person.pk)
            if not months_seen:
                continue
            # Decimal and integer arithmetic: 1.1 × 400 000 must be 440 000, not a float
            # a hair above it that rounds up to 450 000.
            revenue = _round_up(Decimal("1.1") * sum(b for _n, b in months_seen)
                                / len(months_seen))
            wins = -(-11 * sum(n for n, _b in months_seen) // (10 * len(months_seen)))
            total_revenue += revenue
            total_wins += wins
            for month in months:
                plan_set(actor=head, team=team, user=person, month=month, revenue=revenue,
                         wins=wins)
                written += 1
        if total_revenue:
            for month in months:
                plan_set(actor=head, team=team, month=month,
                         revenue=_round_up(total_revenue * Decimal("1.05")), wins=total_wins)
                written += 1
    return written
