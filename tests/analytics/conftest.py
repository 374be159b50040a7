"""A small, fully hand-checked history: every report's figures are worked out in the tests.

Pipeline "Этап 1…5" (no exit facts, stage 1 limited to 48 h), two managers, Moscow time.
Times are noon of the given day. Deals (budget):

  A (100, manager):  created 10.01 → 2 11.01 → 3 12.01 → won 20.01
  B (200, manager):  created 15.01 → skip 1→3 16.01 → lost at 3 "Дорого" 18.01
  C (300, manager):  created 20.01 → 2 02.02 → 3 03.02 → correction 3→2 04.02 → 3 05.02 (open)
  D (400, manager):  created 01.02 → lost at 1 "Выбрали другого" 02.02 → reopened 10.02
                     → 2 11.02 (open)
  E (500, manager2): created 05.02 → 2 06.02 → 3 07.02 → 4 08.02 → won 03.03
  F (600, manager2): created 20.12.2024 → 2 05.01 → lost at 2 "Дорого" 06.01
"""

import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.factories import make_deal, plain_pipeline
from voronka.deals import services

MSK = ZoneInfo("Europe/Moscow")


def at(day: str) -> datetime.datetime:
    d, m, *y = day.split(".")
    year = int(y[0]) if y else 2025
    return datetime.datetime(year, int(m), int(d), 12, 0, tzinfo=MSK)


@pytest.fixture
def history(team, manager, manager2, admin, settings):
    settings.TIME_ZONE = "Europe/Moscow"
    pipeline = plain_pipeline(team, 5, name="Отчёты", reasons=["Дорого", "Выбрали другого"])
    s = list(pipeline.stages.order_by("position"))
    s[0].time_limit_hours = 48
    s[0].save(update_fields=["time_limit_hours"])
    expensive, rival = list(pipeline.loss_reasons.order_by("position"))

    def deal(title, owner, budget, created):
        return make_deal(pipeline, owner, title=title, budget=budget, created_at=at(created))

    a = deal("A", manager, 100, "10.01")
    services.deal_move(deal=a, to_stage=s[1], actor=manager, at=at("11.01"))
    services.deal_move(deal=a, to_stage=s[2], actor=manager, at=at("12.01"))
    services.deal_win(deal=a, actor=manager, at=at("20.01"))

    b = deal("B", manager, 200, "15.01")
    services.deal_move(deal=b, to_stage=s[2], actor=manager, at=at("16.01"))
    services.deal_archive(deal=b, actor=manager, reason=expensive, at=at("18.01"))

    c = deal("C", manager, 300, "20.01")
    services.deal_move(deal=c, to_stage=s[1], actor=manager, at=at("02.02"))
    services.deal_move(deal=c, to_stage=s[2], actor=manager, at=at("03.02"))
    services.deal_correct(deal=c, to_stage=s[1], actor=admin, reason="ошибся", at=at("04.02"))
    services.deal_move(deal=c, to_stage=s[2], actor=manager, at=at("05.02"))

    d = deal("D", manager, 400, "01.02")
    services.deal_archive(deal=d, actor=manager, reason=rival, at=at("02.02"))
    services.deal_reopen(deal=d, actor=manager, at=at("10.02"))
    services.deal_move(deal=d, to_stage=s[1], actor=manager, at=at("11.02"))

    e = deal("E", manager2, 500, "05.02")
    for i, day in ((1, "06.02"), (2, "07.02"), (3, "08.02")):
        services.deal_move(deal=e, to_stage=s[i], actor=manager2, at=at(day))
    services.deal_win(deal=e, actor=manager2, at=at("03.03"))

    f = deal("F", manager2, 600, "20.12.2024")
    services.deal_move(deal=f, to_stage=s[1], actor=manager2, at=at("05.01"))
    services.deal_archive(deal=f, actor=manager2, reason=expensive, at=at("06.01"))

    return {"pipeline": pipeline, "stages": s, "expensive": expensive, "rival": rival,
            "deals": {"A": a, "B": b, "C": c, "D": d, "E": e, "F": f}}
