"""Random but reproducible deal histories, written through the services."""

from __future__ import annotations

import datetime
import random
from zoneinfo import ZoneInfo

from tests.factories import make_deal, plain_pipeline
from voronka.deals import services
from voronka.deals.models import Deal

SOURCES = ["", "site", "ads", "O'Reilly"]


def random_history(seed: int, team, owners, admin, *, deals: int = 30, steps: int = 160,
                   stages: int = 5, on_step=None):
    """A pipeline and ``deals`` deals pushed through ``steps`` random acts: moves, skips,
    wins, losses, reopenings, corrections, budget/owner/source changes. ``on_step(i)`` is
    called after every act (tests read reports there, so refreshes interleave)."""
    rnd = random.Random(seed)
    pipeline = plain_pipeline(team, stages, name=f"Random {seed}",
                              reasons=["Дорого", "Нет потребности", "Выбрали другого"])
    order = list(pipeline.stages.order_by("position"))
    for stage in order[:2]:
        stage.time_limit_hours = rnd.choice([24, 48, 100])
        stage.save(update_fields=["time_limit_hours"])
    reasons = list(pipeline.loss_reasons.all())
    clock = datetime.datetime(2025, 1, 25, 9, 0, tzinfo=ZoneInfo("Europe/Moscow"))
    made: list[Deal] = []

    def tick():
        nonlocal clock
        clock += datetime.timedelta(minutes=rnd.choice([5, 90, 600, 1500, 3000, 7000]))
        return clock

    for i in range(steps):
        if len(made) < deals and (not made or rnd.random() < 0.3):
            made.append(make_deal(pipeline, rnd.choice(owners), budget=rnd.randint(0, 9999),
                                  source=rnd.choice(SOURCES), created_at=tick()))
        else:
            deal = Deal.objects.get(pk=rnd.choice(made).pk)
            _act(rnd, deal, order, reasons, owners, admin, tick())
        if on_step:
            on_step(i)
    return pipeline


def _act(rnd, deal, order, reasons, owners, admin, now):
    here = [s.pk for s in order].index(deal.stage_id)
    roll = rnd.random()
    if roll < 0.12:
        services.deal_update(deal=deal, actor=admin, at=now, **rnd.choice([
            {"budget": str(rnd.randint(1, 9999))}, {"owner": rnd.choice(owners)},
            {"source": rnd.choice(SOURCES)}]))
    elif deal.status != Deal.Status.OPEN:
        services.deal_reopen(deal=deal, actor=admin, at=now)
    elif roll < 0.55 and here + 1 < len(order):
        step = 1 if rnd.random() < 0.75 else rnd.randint(1, len(order) - 1 - here)
        services.deal_move(deal=deal, to_stage=order[here + step], actor=admin, at=now)
    elif roll < 0.7:
        services.deal_win(deal=deal, actor=admin, at=now)
    elif roll < 0.88:
        services.deal_archive(deal=deal, actor=admin, reason=rnd.choice(reasons), at=now)
    elif here > 0:
        services.deal_correct(deal=deal, to_stage=order[rnd.randrange(here)], actor=admin,
                              reason="ошибка", at=now)
