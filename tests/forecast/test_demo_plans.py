"""The demo's plans (voronka.demo.plans, called by the demo build): every manager with wins
and every team, for five months around the build date."""

import datetime
from decimal import Decimal

from django.utils import timezone

from voronka.demo.plans import write_plans
from voronka.forecast.models import Plan


def test_demo_plans(plain, seller, manager, head, team, history_fn):
    # seller: 4 wins of 100 000 in one month → 110 % = 440 000 and 5 deals (4.4 rounded up).
    history_fn(plain, seller, won=4, lost_first=1)
    # manager: 1 win of 123 456 → 135 801.6, rounded up to 140 000; 2 deals (1.1 up).
    history_fn(plain, manager, won=1, lost_first=0, budget=Decimal("123456"))
    as_of = timezone.now()
    assert write_plans(as_of) == 3 * 5
    this = as_of.date().replace(day=1)
    assert Plan.objects.filter(month=this).count() == 3
    assert set(Plan.objects.values_list("month", flat=True)) >= {this, datetime.date(
        this.year + (this.month == 12), this.month % 12 + 1, 1)}
    mine = Plan.objects.get(month=this, user=seller)
    assert (mine.revenue, mine.wins) == (Decimal("440000"), 5)
    theirs = Plan.objects.get(month=this, user=manager)
    assert (theirs.revenue, theirs.wins) == (Decimal("140000"), 2)
    whole = Plan.objects.get(month=this, user=None)
    # 105 % of 580 000 = 609 000 → 610 000; wins 5 + 2.
    assert (whole.revenue, whole.wins, whole.updated_by) == (Decimal("610000"), 7, head)
    assert not Plan.objects.filter(user=head).exists()  # heads have no personal plan
