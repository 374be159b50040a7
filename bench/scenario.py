"""The data and the two ways of moving deals that bench/moves.py times.

Imported only after Django is set up. The data goes through the services (as the UI and API
would build it), so the gates see exactly what a real deal carries.
"""

from __future__ import annotations

import cProfile
import datetime
import io
import os
import pstats
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from voronka.accounts.models import Role, Team, User
from voronka.activities.services import task_complete, task_create
from voronka.core import events
from voronka.crm.services import company_create, contact_create
from voronka.deals.models import Deal, Transition
from voronka.deals.services import (
    deal_contact_attach,
    deal_create,
    deal_fact_confirm,
    deal_move,
    payment_create,
)
from voronka.pipelines.models import Stage, StageRequirement
from voronka.pipelines.services import custom_field_create, pipeline_create, stage_create

# A six-stage B2B funnel in the spirit of seed 003: every stage ends with facts, and every
# kind of exit requirement appears. The last stage's facts matter only for winning.
STAGES = [
    ("Квалификация", "Бюджет и отрасль известны",
     [{"kind": "field_filled", "field_name": "budget"},
      {"kind": "field_filled", "custom_field": "industry"}]),
    ("Первая встреча", "Встреча проведена с ЛПР",
     [{"kind": "task_completed", "task_kind": "meeting"}, {"kind": "contact_attached"}]),
    ("Согласование ТЗ", "ТЗ согласовано",
     [{"kind": "fact_confirmed", "fact_name": "ТЗ согласовано"}, {"kind": "company_attached"}]),
    ("Коммерческое предложение", "КП отправлено, дата решения известна",
     [{"kind": "task_completed", "task_kind": "document"},
      {"kind": "field_filled", "field_name": "expected_close_date"}]),
    ("Договор и предоплата", "Договор подписан, предоплата 50% получена",
     [{"kind": "fact_confirmed", "fact_name": "Договор подписан"},
      {"kind": "payment_received", "payment_share": "0.5"}]),
    ("Оплата и передача в работу", "Оплачено полностью, заказ принят",
     [{"kind": "payment_received", "payment_share": "1"},
      {"kind": "fact_confirmed", "fact_name": "Заказ принят в работу"}]),
]


@dataclass
class World:
    manager: User
    stages: list[Stage]
    deals: list[Deal]
    requirements: int

    def parts(self, n: int) -> list[list[Deal]]:
        """``n`` interleaved sets of deals, one per way of moving, so the ways can run side by
        side in one round and meet the same database."""
        return [self.deals[i::n] for i in range(n)]


def build(*, deals: int) -> World:
    team = Team.objects.create(name="Bench sales")
    head = User.objects.create_user("head@bench.example", role=Role.HEAD, team=team)
    manager = User.objects.create_user("manager@bench.example", role=Role.MANAGER, team=team)
    pipeline = pipeline_create(actor=head, team=team, name="B2B bench",
                               loss_reasons=["Дорого", "Выбрали конкурента"])
    custom_field_create(actor=head, pipeline=pipeline, name="Отрасль", code="industry",
                        kind="choice", choices=["IT", "Ритейл", "Производство"])
    for position, (name, goal, reqs) in enumerate(STAGES):
        stage_create(actor=head, pipeline=pipeline, name=name, goal=goal,
                     probability=10 + 15 * position, requirements=reqs)
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position", "id"))
    facts = list(StageRequirement.objects.filter(
        stage__pipeline=pipeline, kind=StageRequirement.Kind.FACT_CONFIRMED))
    today = timezone.localdate()
    due = timezone.now() + datetime.timedelta(days=1)
    built = []
    for i in range(deals):
        company = company_create(actor=manager, name=f"ООО «Клиент {i}»")
        contact = contact_create(actor=manager, full_name=f"Контакт {i}", company=company,
                                 phones=[f"+7 916 {i // 10000:03d}-{i % 10000:04d}"],
                                 emails=[f"client{i}@example.com"])
        budget = Decimal(100_000 + 1_000 * (i % 400))
        deal = deal_create(actor=manager, pipeline=pipeline, title=f"Поставка №{i}",
                           budget=budget, company=company, source="site",
                           utm={"utm_source": "yandex", "utm_campaign": "b2b"},
                           expected_close_date=today + datetime.timedelta(days=30),
                           custom_fields={"industry": ["IT", "Ритейл", "Производство"][i % 3]})
        deal_contact_attach(deal=deal, contact=contact, role="decision_maker", actor=manager)
        for kind in ("meeting", "document"):
            task = task_create(actor=manager, deal=deal, kind=kind, text=f"{kind} {i}",
                               due_at=due)
            task_complete(task=task, actor=manager, result="done")
        task_create(actor=manager, deal=deal, kind="follow_up", text="Напомнить", due_at=due)
        for fact in facts:
            deal_fact_confirm(deal=deal, requirement=fact, actor=manager)
        payment_create(deal=deal, amount=budget / 2, reference="prepay", actor=manager)
        payment_create(deal=deal, amount=budget / 2, reference="final", actor=manager)
        built.append(deal)
    world = World(manager=manager, stages=stages, deals=built,
                  requirements=sum(len(r) for _n, _g, r in STAGES))
    reset(world)
    return world


def plan(world: World, deals: list[Deal], moves: int) -> list[tuple[Deal, Stage]]:
    """Moves as a sales team makes them: each deal one stage on, deal after deal, stage after
    stage, so the moves spread over the deals and over every stage's gates."""
    steps = []
    for k in range(1, len(world.stages)):
        for deal in deals:
            steps.append((deal, world.stages[k]))
            if len(steps) == moves:
                return steps
    return steps


def reset(world: World) -> None:
    """Put every deal back on the first stage (untimed), and reload the caller's copies."""
    first = world.stages[0]
    ids = [d.pk for d in world.deals]
    Deal.objects.filter(pk__in=ids).update(
        stage=first, furthest_stage=first, stage_entered_at=timezone.now(),
        version=F("version") + 1)
    fresh = Deal.objects.in_bulk(ids)
    world.deals[:] = [fresh[pk] for pk in ids]


def service_moves(world: World, steps: list[tuple[Deal, Stage]]) -> None:
    actor = world.manager
    for deal, to_stage in steps:
        tr = deal_move(deal=deal, to_stage=to_stage, actor=actor)
        if tr.kind != Transition.Kind.ADVANCE:  # the data must exercise gates, not skip them
            raise AssertionError(f"unexpected {tr.kind} for deal {deal.pk}")


def quiet_moves(world: World, steps: list[tuple[Deal, Stage]]) -> None:
    """``deal_move`` with the domain-event subscribers (automation, webhooks) detached: what
    the move itself costs. The event is still built and published, to no one."""
    subscribers = list(events._subscribers)  # noqa: SLF001 - a bench may look inside
    probes = dict(events._probes)  # noqa: SLF001
    for handler in subscribers:
        events.unsubscribe(handler)
    try:
        service_moves(world, steps)
    finally:
        for handler in subscribers:
            events.subscribe(handler, probe=probes.get(handler))


def bare_moves(world: World, steps: list[tuple[Deal, Stage]]) -> None:
    """The floor: the same rows written with nothing checked."""
    actor = world.manager
    for deal, to_stage in steps:
        now = timezone.now()
        with transaction.atomic():
            Deal.objects.filter(pk=deal.pk).update(
                stage=to_stage, furthest_stage=to_stage, stage_entered_at=now,
                version=F("version") + 1)
            Transition.objects.create(
                deal_id=deal.pk, pipeline_id=deal.pipeline_id, kind=Transition.Kind.ADVANCE,
                from_stage_id=deal.stage_id, to_stage=to_stage, at=now, by=actor,
                seconds_in_stage=max(0, int((now - deal.stage_entered_at).total_seconds())),
                owner_id=deal.owner_id)
        deal.stage_id, deal.stage_entered_at = to_stage.pk, now


def count_queries(world: World) -> dict[str, int]:
    """SQL statements for one move each way (BEGIN/COMMIT included where the driver logs
    them), on the gate-heaviest step."""
    out = {}
    for name, method in ARMS:
        # The last move of the last deal: into the last stage, past two requirements.
        steps = plan(world, world.deals, len(world.deals) * len(world.stages))[-1:]
        deal = steps[0][0]
        Deal.objects.filter(pk=deal.pk).update(stage=world.stages[4])
        deal.refresh_from_db()
        with CaptureQueriesContext(connection) as ctx:
            method(world, steps)
        out[name] = len(ctx.captured_queries)
    reset(world)
    return out


# The ways of moving a deal, timed side by side.
ARMS = (("move", service_moves), ("quiet", quiet_moves), ("bare", bare_moves))


def profile(world: World, moves: int) -> None:
    steps = plan(world, world.parts(len(ARMS))[0], moves)
    prof = cProfile.Profile()
    prof.enable()
    service_moves(world, steps)
    prof.disable()
    reset(world)
    buf = io.StringIO()
    order, top = os.environ.get("BENCH_SORT", "cumulative"), int(os.environ.get("BENCH_TOP", "35"))
    pstats.Stats(prof, stream=buf).sort_stats(order).print_stats(top)
    print(buf.getvalue(), flush=True)
