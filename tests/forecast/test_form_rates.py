"""The funnel form's rates: consistent conversions (never above 100 %), and a manager with too
little history borrowing only the team's rates — never the team's counts or budgets."""

import re
from decimal import Decimal

import pytest

from voronka.deals.services import deal_archive, deal_correct, deal_create, deal_move, deal_win
from voronka.forecast.form import funnel_forms
from voronka.forecast.selectors import prospect
from voronka.pipelines.services import pipeline_create


@pytest.fixture
def four(team):
    return pipeline_create(actor=None, team=team, name="Four", stages=[
        {"name": "Договариваюсь о встрече", "goal": "Встреча"},
        {"name": "Выявляю потребность", "goal": "Потребность"},
        {"name": "Согласовываю ТЗ", "goal": "ТЗ"},
        {"name": "Подписываю договор", "goal": "Договор"}], loss_reasons=["Дорого"])


def test_a_correction_never_makes_a_conversion_above_one(four, manager, admin):
    s = list(four.stages.order_by("position"))
    for i in range(2):  # reached the third stage, corrected back to the second, still open
        deal = deal_create(actor=manager, pipeline=four, owner=manager, title=f"C{i}",
                           budget=Decimal("100"))
        deal_move(deal=deal, to_stage=s[1], actor=manager)
        deal_move(deal=deal, to_stage=s[2], actor=manager)
        deal_correct(deal=deal, to_stage=s[1], actor=admin, reason="ошибся")
    lost = deal_create(actor=manager, pipeline=four, owner=manager, title="L",
                       budget=Decimal("100"))
    deal_move(deal=lost, to_stage=s[1], actor=manager)
    deal_archive(deal=lost, actor=manager, reason=four.loss_reasons.first())
    team, _forms = funnel_forms(four)
    # Reached (furthest stage): 3, 3, 2, 0. Undecided (open, gone no further): 0, 0, 2, 0.
    # Stage 2: 2 went further of 3 decided = 2/3 (it was 2 ÷ (3 − 2 open there now) = 200 %).
    assert [st.reached.n for st in team.stages] == [3, 3, 2, 0]
    assert [st.conversion for st in team.stages] == [1.0, 2 / 3, None, None]
    assert all(st.win_probability is None for st in team.stages)  # nobody won yet


def test_win_probabilities_stay_within_one(four, manager, admin):
    s = list(four.stages.order_by("position"))
    for i in range(3):
        deal = deal_create(actor=manager, pipeline=four, owner=manager, title=f"W{i}",
                           budget=Decimal("100"))
        for stage in s[1:]:
            deal_move(deal=deal, to_stage=stage, actor=manager)
        if i == 0:
            deal_correct(deal=deal, to_stage=s[0], actor=admin, reason="ошибся")
        else:
            deal_win(deal=deal, actor=manager)
    team, _forms = funnel_forms(four)
    # All three reached every stage; the corrected one is open with its furthest stage the
    # last: undecided there only. Stages 1–3: 3 of 3 went further; the last: 2 won of 2.
    assert [st.conversion for st in team.stages] == [1.0, 1.0, 1.0, 1.0]
    assert [st.win_probability for st in team.stages] == [1.0, 1.0, 1.0, 1.0]


@pytest.fixture
def lopsided(plain, manager, manager2, history_fn):
    # manager2: 6 wins of 555 555 through every stage (and no loss); manager: 1 won of
    # 300 000 and 1 lost on the first stage. Both below the default threshold of 20.
    history_fn(plain, manager2, won=6, lost_first=0, budget=Decimal("555555"))
    history_fn(plain, manager, won=1, lost_first=1, budget=Decimal("300000"))
    return plain


def test_too_little_history_borrows_the_rates_not_the_counts(lopsided, manager):
    team, forms = funnel_forms(lopsided)
    mine = forms[manager.pk]
    assert not mine.own and mine.closed == 2
    # The team's rates: 7 of 8 reached the second stage (the last two: all), wins average
    # (6 × 555 555 + 300 000) / 7 = 3 633 330 / 7 = 519 047.14; the cycle histogram of the
    # team's 7 wins.
    assert [s.conversion for s in mine.stages] == [7 / 8, 1.0, 1.0]
    assert [s.win_probability for s in mine.stages] == [7 / 8, 1.0, 1.0]
    assert mine.average_won_budget == team.average_won_budget == Decimal("519047.14")
    assert mine.cycle_days == team.cycle_days == [(20, 7)]
    # The counts and budgets: the manager's own (2 reached the first stage, 1 the others).
    assert [(s.reached.n, s.reached.budget) for s in mine.stages] == [
        (2, Decimal("600000.00")), (1, Decimal("300000.00")), (1, Decimal("300000.00"))]
    assert (mine.won.n, mine.won.budget) == (1, Decimal("300000.00"))


def test_without_any_history_nothing_of_the_team_is_counted(lopsided, seller):
    _team, forms = funnel_forms(lopsided)
    nobody = forms[seller.pk]
    assert [s.reached.n for s in nobody.stages] == [0, 0, 0]
    assert nobody.won.n == 0 and nobody.closed == 0
    assert [s.conversion for s in nobody.stages] == [7 / 8, 1.0, 1.0]


def test_the_managers_screen_shows_no_team_counts(client, lopsided, manager, head):
    data, _lines = prospect(user=manager, pipeline_id=lopsided.pk, owner_id=manager.pk,
                            runs=10)
    assert data.form.won.n == 1
    client.force_login(manager)
    html = client.get(f"/forecast/?pipeline={lopsided.pk}", HTTP_ACCEPT_LANGUAGE="en"
                      ).content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("\xa0", " ")
    # The team's reached (8 · 3 933 330, 7 · 3 633 330) and won (7 · 3 633 330): nowhere.
    assert "3 933 330" not in text and "3 633 330" not in text and "8 · " not in text
    assert "2 · 600 000 ₽" in text and "1 · 300 000 ₽" in text  # the manager's own
    assert "are the team’s" in text and "Conversion (team)" in text
    assert "Average won budget (team): 519 047 ₽" in text
    # The team's won deals are not a link for a manager (the list would not match the figure).
    assert "status=won&amp;from=" not in html
    client.force_login(head)  # the head may open the team's wins behind the rate
    html = client.get(f"/forecast/?pipeline={lopsided.pk}&manager={manager.pk}").content.decode()
    assert "status=won&amp;from=" in html
