"""The demo data set has plans: every manager with wins and every team, five months."""

import datetime

import pytest

from voronka.accounts.models import Role, Team
from voronka.demo.build import build
from voronka.forecast.models import Plan

AS_OF = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)


@pytest.mark.django_db
def test_demo_builds_plans():
    build(deals=150, as_of=AS_OF)
    months = {datetime.date(2026, m, 1) for m in (3, 4, 5, 6, 7)}
    assert set(Plan.objects.values_list("month", flat=True)) == months
    for team in Team.objects.all():
        team_plans = Plan.objects.filter(team=team, user=None)
        assert team_plans.count() == 5
        june = team_plans.get(month=datetime.date(2026, 6, 1))
        managers = Plan.objects.filter(team=team, month=june.month, user__isnull=False)
        assert managers.exists()
        assert all(p.user.role == Role.MANAGER and p.revenue > 0 and p.wins > 0
                   for p in managers)
        # The team plans 5 % above the sum of its managers', rounded up to 10 000.
        total = sum(p.revenue for p in managers)
        assert total * 105 / 100 <= june.revenue < total * 105 / 100 + 10000
