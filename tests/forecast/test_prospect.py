"""The prospective funnel from a real history: the form, fallback, risk notices, the screen."""

import re
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


def _mid_month_or_later():
    today = timezone.localdate()
    return today if today.day >= 15 else today.replace(day=15)


def test_required_and_risk_notified_once(world, seller, head, team):
    plan_set(actor=head, team=team, user=seller, month=timezone.localdate(),
             revenue=Decimal("1000000"), wins=0)
    deal_create(actor=seller, pipeline=world, owner=seller, title="Open",
                budget=Decimal("100000"))
    day = _mid_month_or_later()
    p = build_prospect(world, seller, as_of=day)
    # 10 wins required; last stage 10, middle 10, first 20 (÷ 0.5); one open deal on stage 1.
    assert p.required.required_wins == 10
    assert [s.required_count for s in p.required.stages] == [20, 10, 10]
    assert [s.now.n for s in p.required.stages] == [1, 0, 0]
    assert [s.deficit_n for s in p.required.stages] == [19, 10, 10]
    assert [s.deficit_budget for s in p.required.stages] == [
        Decimal("1900000"), Decimal("1000000"), Decimal("1000000")]
    assert [s.at_risk for s in p.required.stages] == [True, True, True]
    notices = check_plans(as_of=day)
    assert len(notices) == 2 * 3  # the seller and the head, once per stage
    assert Notification.objects.count() == len(notices)
    assert {n.user_id for n in Notification.objects.all()} == {seller.pk, head.pk}
    # The same day again (a re-run, a retried job): nothing new.
    check_plans(as_of=day)
    check_plans(as_of=day)
    assert Notification.objects.count() == len(notices)
    assert all(day.isoformat() in n.idempotency_key for n in Notification.objects.all())
    # What the notice says: the requirement, what is there, and the shortfall, in money.
    first = Notification.objects.filter(user=head, idempotency_key__contains=(
        f":u{seller.pk}:{p.required.stages[0].id}:")).get()
    assert ("1 · 100\xa0000\xa0₽" in first.text and "20 · 2\xa0000\xa0000\xa0₽" in first.text
            and "19 · 1\xa0900\xa0000\xa0₽" in first.text), first.text


def test_no_alarm_before_the_middle_of_the_month(world, seller, head, team):
    # Short on every stage from the first day (the requirement is not prorated), but the
    # seed's checkpoint is the middle of the month: before the 15th the job says nothing.
    today = timezone.localdate()
    plan_set(actor=head, team=team, user=seller, month=today, revenue=Decimal("1000000"))
    for day in (1, 14):
        p = build_prospect(world, seller, as_of=today.replace(day=day))
        assert p.required.short and not p.required.at_risk
        assert [s.deficit_n for s in p.required.stages] == [20, 10, 10]
        assert check_plans(as_of=today.replace(day=day)) == []
    assert len(check_plans(as_of=today.replace(day=15))) == 2 * 3
    assert Notification.objects.count() == 6


@pytest.mark.parametrize(("day", "pill", "banner"), [
    (3, "pill pill-warn", "Short of the requirement"), (20, "pill pill-danger", "Plan at risk")])
def test_the_screen_says_short_then_at_risk(client, world, seller, head, team, monkeypatch,
                                            day, pill, banner):
    today = timezone.localdate()
    plan_set(actor=head, team=team, user=seller, month=today, revenue=Decimal("1000000"))
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: today.replace(day=day))
    client.force_login(head)
    html = client.get(f"/forecast/?pipeline={world.pk}&manager={seller.pk}",
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert banner in html and pill in html
    # One definition: the requirement, the shortfall and the status agree on every row.
    required = html[html.index("<h2>Required pipeline</h2>"):]
    rows = re.findall(r"<tr[^>]*>\s*<td>(Договариваюсь о встрече|Согласовываю ТЗ|Подписываю "
                      r"договор)</td>(.*?)</tr>", required, re.S)
    assert len(rows) == 3 and all(pill in row for _name, row in rows)
    assert "20 · 2\xa0000\xa0000\xa0₽" in html and "Short by: deals · budget" in html
    assert "Due by today" not in html and "prorated to today" not in html
    other = "pill pill-danger" if pill == "pill pill-warn" else "pill pill-warn"
    assert other not in html


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
