"""The forecast screens: bad parameters answer 400 naming the field, plan errors at the field of
their row, the roles the forecast is not for, and the text (money, shares, dates)."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone

from voronka.core.errors import NotFound
from voronka.deals.services import deal_create
from voronka.forecast.models import Plan
from voronka.forecast.plans import plan_set
from voronka.forecast.selectors import prospect

from ..factories import UserFactory


def text_of(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("\xa0", " ")


@pytest.fixture
def world(plain, seller, manager, head, team, history_fn, settings):
    settings.VORONKA_FORECAST_MIN_CLOSED = 6
    history_fn(plain, seller, won=4, lost_first=4)
    plan_set(actor=head, team=team, user=seller, month=timezone.localdate(),
             revenue=Decimal("1000000"))
    deal_create(actor=seller, pipeline=plain, owner=seller, title="Open",
                budget=Decimal("250000"))
    return plain


@pytest.mark.parametrize("months", ["abc", "-1", "0", "37", "1.5", "²"])
def test_bad_months_answer_400_naming_the_field(client, world, head, months):
    client.force_login(head)
    page = client.get(f"/forecast/?pipeline={world.pk}&months={months}",
                      HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 400
    text = text_of(page)
    assert "History, months: Enter a whole number of months from 1 to 36." in text
    assert 'name="months"' in page.content.decode() and 'aria-invalid="true"' in (
        page.content.decode())
    assert "Required pipeline" not in text  # nothing computed on a guess


def test_another_teams_pipeline_answers_400(client, world, head, other_pipeline):
    client.force_login(head)
    for raw in (other_pipeline.pk, "abc", "99999"):
        page = client.get(f"/forecast/?pipeline={raw}", HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 400
        text = text_of(page)
        assert "Pipeline: Choose one of the pipelines offered." in text
        assert other_pipeline.name not in text


def test_bad_manager_and_seed_answer_400(client, world, head):
    client.force_login(head)
    page = client.get(f"/forecast/?pipeline={world.pk}&manager=abc", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 400
    assert "Manager: Choose one of the managers offered." in text_of(page)
    page = client.get(f"/forecast/?pipeline={world.pk}&seed=-3", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 400 and "Simulation seed:" in text_of(page)


def test_empty_parameters_are_the_defaults(client, world, head, seller):
    client.force_login(head)
    page = client.get("/forecast/?pipeline=&manager=&months=&seed=")
    assert page.status_code == 200 and page.context["months"] == 6
    page = client.get(f"/forecast/?pipeline={world.pk}&manager={seller.pk}&months=3")
    assert page.status_code == 200 and page.context["p"].form.date_from.month == (
        (timezone.localdate().month - 4) % 12 + 1)


def test_plan_error_shown_at_the_field_of_its_row(client, head, manager, team):
    client.force_login(head)
    page = client.post("/forecast/plans/", {
        "team": team.pk, "user": manager.pk, "month": "2026-11", "revenue": "abc", "wins": "3"},
        HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 422
    assert not Plan.objects.exists()
    html = page.content.decode()
    err_id = f"plan-err-{team.pk}-{manager.pk}-revenue"
    # The revenue input of the manager's row is marked and described by the message, which
    # names the field as the screen does (not "revenue:").
    assert f'aria-invalid="true" aria-describedby="{err_id}"' in html
    assert re.search(rf'id="{err_id}">Revenue target: Enter a number\.<', html)
    assert "revenue:" not in html
    assert 'value="abc"' in html  # what was typed stays to be corrected
    assert html.count('aria-invalid="true"') == 1  # the other rows are untouched
    page = client.post("/forecast/plans/", {
        "team": team.pk, "month": "2026-11", "revenue": "100", "wins": "-1"},
        HTTP_ACCEPT_LANGUAGE="ru")
    assert page.status_code == 422
    html = page.content.decode()
    assert (f'id="plan-err-{team.pk}-team-wins">План по выигранным сделкам: '
            "Укажите целое число от 0 до 1 000 000.<") in html
    assert "wins:" not in html and not Plan.objects.exists()


@pytest.mark.parametrize("in_team", [True, False])
def test_a_marketer_is_told_the_forecast_is_not_for_the_role(client, world, team, in_team):
    marketer = UserFactory(role="marketer", team=team if in_team else None,
                           email=f"mk{in_team}@example.com")
    client.force_login(marketer)
    for url in ("/forecast/", f"/forecast/?pipeline={world.pk}", "/forecast/model/"):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200
        text = text_of(page)
        assert "The forecast is for sales" in text and "No pipeline yet." not in text
        assert "Required pipeline" not in text and "Plain" not in text
    with pytest.raises(NotFound):
        prospect(user=marketer, pipeline_id=world.pk, owner_id=marketer.pk)
    with pytest.raises(NotFound):
        prospect(user=marketer, pipeline_id=world.pk, owner_id=None)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_text_money_shares_and_dates(client, world, head, seller, lang):
    client.force_login(head)
    for url in (f"/forecast/?pipeline={world.pk}&manager={seller.pk}",
                f"/forecast/?pipeline={world.pk}"):
        text = text_of(client.get(url, HTTP_ACCEPT_LANGUAGE=lang))
        assert " ." not in text and ".." not in text, text
        assert not re.search(r"\d %", text)  # 80%, as the reports write shares
        assert re.search(r"\d+%", text)
    text = text_of(client.get(f"/forecast/?pipeline={world.pk}&manager={seller.pk}",
                              HTTP_ACCEPT_LANGUAGE=lang))
    # Money as elsewhere: grouped whole units and the currency sign.
    assert "1 000 000 ₽" in text  # the plan
    assert "250 000 ₽" in text  # the open deal
    assert "100 000 ₽" in text  # the average won budget
    assert not re.search(r"\d,\d{3},\d{3}", text)


def test_a_person_of_another_team_never_sets_the_teams_plan(client, head, team, other_manager):
    client.force_login(head)
    for raw in (other_manager.pk, "abc"):
        page = client.post("/forecast/plans/", {"team": team.pk, "user": raw,
                                                "month": "2026-11", "revenue": "100"})
        assert page.status_code == 404
    assert not Plan.objects.exists()
