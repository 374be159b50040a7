"""Plans: who may set them, validation, the settings screen."""

import datetime
from decimal import Decimal

import pytest

from voronka.core.errors import PermissionDenied, ValidationError
from voronka.forecast.models import Plan
from voronka.forecast.plans import plan_delete, plan_for, plan_set, plans_for_month

NOV = datetime.date(2026, 11, 17)


def test_head_sets_and_replaces_a_plan(head, manager, team):
    plan = plan_set(actor=head, team=team, user=manager, month=NOV, revenue="1 500 000,50",
                    wins=12)
    assert (plan.month, plan.revenue, plan.wins) == (datetime.date(2026, 11, 1),
                                                     Decimal("1500000.50"), 12)
    again = plan_set(actor=head, team=team, user=manager, month=datetime.date(2026, 11, 1),
                     revenue=2_000_000, wins=0)
    assert again.pk == plan.pk and Plan.objects.count() == 1
    team_plan = plan_set(actor=head, team=team, month=NOV, revenue=5_000_000, wins=40)
    assert plan_for(team_id=team.pk, month=NOV, user_id=None) == team_plan
    assert plan_for(team_id=team.pk, month=NOV, user_id=manager.pk).revenue == 2_000_000
    assert len(plans_for_month(user=head, month=NOV)) == 2


def test_only_admin_or_own_head(manager, other_head, admin, team, head):
    with pytest.raises(PermissionDenied):
        plan_set(actor=manager, team=team, month=NOV, revenue=1)
    with pytest.raises(PermissionDenied):
        plan_set(actor=other_head, team=team, month=NOV, revenue=1)
    plan = plan_set(actor=admin, team=team, month=NOV, revenue=1)
    assert plans_for_month(user=other_head, month=NOV) == []
    with pytest.raises(PermissionDenied):
        plan_delete(actor=other_head, plan_id=plan.pk)
    plan_delete(actor=head, plan_id=plan.pk)
    assert not Plan.objects.exists()


@pytest.mark.parametrize(("revenue", "wins", "field"), [
    ("abc", 1, "revenue"), ("-5", 1, "revenue"), ("1e20", 1, "revenue"), ("NaN", 1, "revenue"),
    ("100", "x", "wins"), ("100", -1, "wins")])
def test_bad_input_names_the_field(head, team, revenue, wins, field):
    with pytest.raises(ValidationError) as exc:
        plan_set(actor=head, team=team, month=NOV, revenue=revenue, wins=wins)
    assert field in exc.value.errors
    assert not Plan.objects.exists()


def test_manager_of_another_team_refused(head, team, other_manager):
    with pytest.raises(ValidationError) as exc:
        plan_set(actor=head, team=team, user=other_manager, month=NOV, revenue=1)
    assert "user" in exc.value.errors


def test_settings_screen(client, head, manager, team):
    client.force_login(head)
    page = client.get("/forecast/plans/?month=2026-11")
    assert page.status_code == 200
    assert manager.full_name in page.content.decode()
    answer = client.post("/forecast/plans/", {"team": team.pk, "user": manager.pk,
                                              "month": "2026-11", "revenue": "300000",
                                              "wins": "3"})
    assert answer.status_code == 302
    plan = Plan.objects.get()
    assert (plan.user, plan.revenue, plan.wins) == (manager, Decimal("300000"), 3)
    client.post(f"/forecast/plans/{plan.pk}/delete/", {"month": "2026-11"})
    assert not Plan.objects.exists()


def test_managers_do_not_see_the_settings(client, manager):
    client.force_login(manager)
    assert client.get("/forecast/plans/").status_code == 404
