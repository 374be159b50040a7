"""The prospective funnel from a real history: the form, fallback, risk notices, the screen."""

from decimal import Decimal

import pytest
from django.utils import timezone

from voronka.core.errors import NotFound
from voronka.deals.services import deal_create
from voronka.forecast.form import funnel_forms
from voronka.forecast.plans import plan_set
from voronka.forecast.risk import check_plans
from voronka.forecast.selectors import build_prospect, prospect
from voronka.notifications.models import Notification


@pytest.fixture
def world(plain, seller, manager, head, team, history_fn, settings):
    settings.VORONKA_FORECAST_MIN_CLOSED = 6
    # seller: 4 won of 8 (4 lost on the first stage) → conversions 0.5, 1, 1; 100 000 a win.
    history_fn(plain, seller, won=4, lost_first=4)
    # manager: 1 won, 1 lost — too few: the team's figures stand in.
    history_fn(plain, manager, won=1, lost_first=1, budget=Decimal("300000"))
    return plain


def test_forms_and_fallback(world, seller, manager):
    team, forms = funnel_forms(world)
    own = forms[seller.pk]
    assert own.own and own.closed == 8
    assert [s.conversion for s in own.stages] == [0.5, 1.0, 1.0]
    assert [s.win_probability for s in own.stages] == [0.5, 1.0, 1.0]
    assert own.average_won_budget == Decimal("100000.00")
    assert own.cycle_days == [(20, 4)]
    fallback = forms[manager.pk]
    assert not fallback.own and fallback.closed == 2
    # Team: 10 deals, 5 reached the second stage; 5 wins for 700 000.
    assert [s.conversion for s in fallback.stages] == [0.5, 1.0, 1.0]
    assert fallback.average_won_budget == team.average_won_budget == Decimal("140000.00")


def test_required_and_risk_notified_once(world, seller, head, team):
    plan_set(actor=head, team=team, user=seller, month=timezone.localdate(),
             revenue=Decimal("1000000"), wins=0)
    deal_create(actor=seller, pipeline=world, owner=seller, title="Open",
                budget=Decimal("100000"))
    p = build_prospect(world, seller)
    # 10 wins required; last stage 10, middle 10, first 20 (÷ 0.5); one open deal on stage 1.
    assert p.required.required_wins == 10
    assert [s.required_count for s in p.required.stages] == [20, 10, 10]
    assert [s.now.n for s in p.required.stages] == [1, 0, 0]
    assert [s.deficit_n for s in p.required.stages] == [19, 10, 10]
    at_risk = [s for s in p.required.stages if s.at_risk]
    assert at_risk  # whatever the day, 0 deals are short of a positive requirement
    notices = check_plans()
    assert len(notices) == 2 * len(at_risk)  # the seller and the head, once per stage
    assert Notification.objects.count() == len(notices)
    assert {n.user_id for n in Notification.objects.all()} == {seller.pk, head.pk}
    # The same day again (a re-run, a retried job): nothing new.
    check_plans()
    check_plans()
    assert Notification.objects.count() == len(notices)
    day = timezone.localdate().isoformat()
    assert all(day in n.idempotency_key for n in Notification.objects.all())


def test_forecast_numbers(world, seller, head, team):
    plan_set(actor=head, team=team, user=seller, month=timezone.localdate(),
             revenue=Decimal("150000"))
    for budget in ("100000", "200000"):
        deal_create(actor=seller, pipeline=world, owner=seller, title="O", budget=budget)
    p = build_prospect(world, seller, runs=2000, seed=5)
    assert p.weighted == Decimal("150000.00")  # (100 000 + 200 000) × 0.5
    again = build_prospect(world, seller, runs=2000, seed=5)
    assert p.simulation == again.simulation
    assert 0 <= p.simulation.p_plan_met <= 1
    assert not p.uses_model


def test_visibility(world, seller, manager, head, other_head):
    with pytest.raises(NotFound):
        prospect(user=manager, pipeline_id=world.pk, owner_id=seller.pk)
    with pytest.raises(NotFound):
        prospect(user=manager, pipeline_id=world.pk, owner_id=None)
    with pytest.raises(NotFound):
        prospect(user=other_head, pipeline_id=world.pk, owner_id=seller.pk)
    assert prospect(user=head, pipeline_id=world.pk, owner_id=seller.pk,
                    runs=100)[0].owner == seller
    assert prospect(user=manager, pipeline_id=world.pk, owner_id=manager.pk, runs=0)
    team, lines = prospect(user=head, pipeline_id=world.pk, owner_id=None, runs=0)
    assert team.owner is None and {line.owner for line in lines} >= {seller, manager}


def test_screens(client, world, seller, head, team):
    plan_set(actor=head, team=team, user=seller, month=timezone.localdate(),
             revenue=Decimal("1000000"))
    client.force_login(head)
    page = client.get(f"/forecast/?pipeline={world.pk}&manager={seller.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "title=" in html and "/deals/?pipeline=" in html
    team_page = client.get(f"/forecast/?pipeline={world.pk}", HTTP_ACCEPT_LANGUAGE="en")
    assert team_page.status_code == 200  # the team, with every manager's risk
    assert f"manager={seller.pk}" in team_page.content.decode()
    assert "pill pill-danger" in team_page.content.decode()
    client.force_login(seller)
    assert client.get("/forecast/").status_code == 200
    assert client.get(f"/forecast/?pipeline={world.pk}&manager={head.pk}").status_code == 404
    assert client.get("/forecast/model/").status_code == 200
