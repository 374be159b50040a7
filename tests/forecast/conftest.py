import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from voronka.deals.services import deal_archive, deal_create, deal_move, deal_win
from voronka.pipelines.services import pipeline_create

from ..factories import UserFactory


@pytest.fixture
def plain(team):
    """A three-stage funnel without exit requirements: histories are quick to write."""
    return pipeline_create(actor=None, team=team, name="Plain", stages=[
        {"name": "Договариваюсь о встрече", "goal": "Встреча проведена"},
        {"name": "Согласовываю ТЗ", "goal": "ТЗ согласовано"},
        {"name": "Подписываю договор", "goal": "Договор подписан"}],
        loss_reasons=["Дорого"])


def history(pipeline, owner, *, won: int, lost_first: int, budget=Decimal("100000"),
            days_ago: int = 60, cycle_days: int = 20) -> None:
    """``won`` deals taken through every stage and won ``cycle_days`` after creation,
    ``lost_first`` lost on the first stage; all created ``days_ago`` days ago."""
    stages = list(pipeline.stages.order_by("position"))
    reason = pipeline.loss_reasons.first()
    start = timezone.now() - datetime.timedelta(days=days_ago)
    for i in range(won + lost_first):
        deal = deal_create(actor=owner, pipeline=pipeline, owner=owner, title=f"H{i}",
                           budget=budget, created_at=start)
        if i < won:
            for k, stage in enumerate(stages[1:], 1):
                deal_move(deal=deal, to_stage=stage, actor=owner,
                          at=start + datetime.timedelta(days=k))
            deal_win(deal=deal, actor=owner, at=start + datetime.timedelta(days=cycle_days))
        else:
            deal_archive(deal=deal, actor=owner, reason=reason,
                         at=start + datetime.timedelta(days=2))


@pytest.fixture
def history_fn():
    return history


@pytest.fixture
def seller(team):
    return UserFactory(email="seller@example.com", team=team)
