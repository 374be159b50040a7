"""The board's written-out read (deals/board.py) against a plain ORM reading of the same
rules: for any reader and any filters, every column's count, budget and first cards (order,
owner, company, next open task, marks) are what ``deal_list`` and the tasks say."""

import datetime
import random
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voronka.accounts.models import Role
from voronka.activities.models import Task
from voronka.crm.models import Company
from voronka.deals.board import (
    BoardFilters,
    board_card,
    board_column,
    board_get,
    stage_totals,
)
from voronka.deals.models import Deal
from voronka.deals.selectors import deal_list

from ..factories import TeamFactory, UserFactory, plain_pipeline

TITLES = ["Поставка", "поставка стеллажей", "Монтаж 100%", "Аудит_склада", "Склад", "Ремонт"]
COMPANIES = ["ООО «Ромашка»", "ромашка и партнёры", "Склад-Сервис", "Acme 50%"]


@pytest.fixture
def board_data(db):
    """Two teams, their heads, managers and a marketer; two pipelines; open, won and lost
    deals with ties in their time in stage; open and done tasks with ties in due time."""
    rng = random.Random(3)
    teams = [TeamFactory(name="Продажи"), TeamFactory(name="Опт")]
    users = {
        "admin": UserFactory(role=Role.ADMIN, team=None, email="a@x.test"),
        "head": UserFactory(role=Role.HEAD, team=teams[0], email="h@x.test"),
        "head2": UserFactory(role=Role.HEAD, team=teams[1], email="h2@x.test"),
        "m1": UserFactory(role=Role.MANAGER, team=teams[0], email="m1@x.test", full_name=""),
        "m2": UserFactory(role=Role.MANAGER, team=teams[0], email="m2@x.test"),
        "m3": UserFactory(role=Role.MANAGER, team=teams[1], email="m3@x.test"),
        "marketer": UserFactory(role=Role.MARKETER, team=teams[0], email="mk@x.test"),
    }
    owners = [users["m1"], users["m2"], users["m3"], users["head"]]
    pipelines = [plain_pipeline(teams[0], 4, name="Розница"), plain_pipeline(teams[1], 3)]
    companies = [Company.objects.create(name=n, owner=owners[i % 3])
                 for i, n in enumerate(COMPANIES)]
    now = timezone.now().replace(microsecond=0)
    deals = []
    for i in range(90):
        pipeline = pipelines[0] if i % 5 else pipelines[1]
        stages = list(pipeline.stages.order_by("position", "id"))
        stage = stages[rng.randrange(len(stages))]
        status = rng.choice(["open"] * 6 + ["won", "lost"])
        deals.append(Deal(
            title=f"{rng.choice(TITLES)} {i}", pipeline=pipeline, stage=stage,
            furthest_stage=stage, owner=rng.choice(owners), status=status,
            closed_at=None if status == "open" else now,
            loss_reason=pipeline.loss_reasons.first() if status == "lost" else None,
            company=rng.choice([None, *companies]), budget=Decimal(rng.randrange(0, 10**7)) / 100,
            source=rng.choice(["", "site", "call"]),
            created_at=now - datetime.timedelta(days=rng.randrange(0, 40)),
            stage_entered_at=now - datetime.timedelta(hours=rng.choice([1, 5, 30, 200, 900]))))
    deals = Deal.objects.bulk_create(deals)
    tasks = []
    for deal in deals:
        for _ in range(rng.randrange(0, 4)):
            done = rng.random() < 0.3
            hours = rng.choice([-30, -2, 3, 3, 50])  # ties in due time on purpose
            tasks.append(Task(deal=deal, assignee=deal.owner, text=f"Договориться {rng.random()}",
                              due_at=now + datetime.timedelta(hours=hours),
                              is_done=done, done_at=now if done else None))
    Task.objects.bulk_create(tasks)
    return users, pipelines, teams


def _reference(user, pipeline, filters, per_column=None):
    """The board by the plain ORM: deal_list, Python ordering, the first open task (every
    card of a column when ``per_column`` is None)."""
    deals = list(deal_list(user=user, pipeline_id=pipeline.pk, status="open",
                           owner_id=filters.owner_id, team_id=filters.team_id,
                           source=filters.source, search=filters.search,
                           created_from=filters.created_from, created_to=filters.created_to))
    out = {}
    for stage in pipeline.stages.order_by("position", "id"):
        mine = [d for d in deals if d.stage_id == stage.pk]
        mine.sort(key=lambda d: (d.stage_entered_at, d.pk), reverse=True)
        cards = []
        for d in mine[:per_column] if per_column is not None else mine:
            task = Task.objects.filter(deal=d, is_done=False).order_by("due_at", "id").first()
            cards.append((d.pk, d.title, d.budget, d.owner.full_name or d.owner.email,
                          d.company.name if d.company else "",
                          task.text if task else None, task.due_at if task else None))
        out[stage.pk] = (len(mine), sum((d.budget for d in mine), Decimal("0")), cards)
    return out


READERS = st.sampled_from(["admin", "head", "head2", "m1", "m2", "m3", "marketer"])
FILTERS = st.fixed_dictionaries({
    "owner": st.sampled_from([None, "m1", "m2", "m3", "head"]),
    "team": st.sampled_from([None, 0, 1]),
    "source": st.sampled_from(["", "site", "call", "nope"]),
    "search": st.sampled_from(["", "поставка", "ПОСТАВКА", "100%", "_", "ромашка", "Склад",
                               "acme", "'; --"]),
    "from_days": st.sampled_from([None, 3, 20]),
    "to_days": st.sampled_from([None, 0, 10]),
})


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reader=READERS, raw=FILTERS, pipeline_no=st.sampled_from([0, 1]),
       per_column=st.sampled_from([1, 3, 50]))
def test_board_read_matches_the_orm(board_data, reader, raw, pipeline_no, per_column):
    users, pipelines, teams = board_data
    today = timezone.localdate()
    filters = BoardFilters(
        owner_id=users[raw["owner"]].pk if raw["owner"] else None,
        team_id=teams[raw["team"]].pk if raw["team"] is not None else None,
        source=raw["source"], search=raw["search"],
        created_from=today - datetime.timedelta(days=raw["from_days"])
        if raw["from_days"] is not None else None,
        created_to=today - datetime.timedelta(days=raw["to_days"])
        if raw["to_days"] is not None else None)
    user, pipeline = users[reader], pipelines[pipeline_no]
    board = board_get(user=user, pipeline=pipeline, filters=filters, per_column=per_column)
    expected = _reference(user, pipeline, filters, per_column)
    assert [c.stage.pk for c in board.columns] == list(expected)
    for column in board.columns:
        count, budget, cards = expected[column.stage.pk]
        assert (column.count, column.budget) == (count, budget)
        assert [(c.deal.id, c.deal.title, c.deal.budget, c.deal.owner, c.deal.company,
                 c.next_task_text, c.next_task_due) for c in column.cards] == cards
        for card in column.cards:
            assert card.task_overdue == (card.next_task_due is not None
                                         and card.next_task_due < timezone.now())
            assert card.deal.stage_entered_at.tzinfo is not None
        if column.cards:  # the one card redrawn after a move reads the same
            alone = board_card(user=user, deal_id=column.cards[0].deal.id)
            assert _as_tuples([alone]) == _as_tuples(column.cards[:1])
            assert (alone.days_in_stage, alone.over_time_limit, alone.deal.version) == (
                column.cards[0].days_in_stage, column.cards[0].over_time_limit,
                column.cards[0].deal.version)
    assert stage_totals(user=user, pipeline=pipeline, filters=filters) == {
        pk: (n, total) for pk, (n, total, _cards) in expected.items() if n}


def _as_tuples(cards):
    return [(c.deal.id, c.deal.title, c.deal.budget, c.deal.owner, c.deal.company,
             c.next_task_text, c.next_task_due) for c in cards]


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reader=READERS, search=st.sampled_from(["", "поставка", "Склад"]),
       page=st.sampled_from([1, 2, 4]))
def test_scrolling_a_column_pages_through_all_its_cards(board_data, reader, search, page):
    """board_column (the "more" pages) continues exactly where the board's first page
    stopped and ends with the column's last card, each page with the column's totals."""
    users, pipelines, _teams = board_data
    user, pipeline = users[reader], pipelines[0]
    filters = BoardFilters(search=search)
    expected = _reference(user, pipeline, filters)
    first = board_get(user=user, pipeline=pipeline, filters=filters, per_column=page)
    for column in first.columns:
        count, budget, cards = expected[column.stage.pk]
        seen = _as_tuples(column.cards)
        offset = column.next_offset
        while offset is not None:
            more = board_column(user=user, pipeline=pipeline, stage_id=column.stage.pk,
                                filters=filters, offset=offset, limit=page)
            assert (more.count, more.budget) == (count, budget)
            assert more.cards, "a next page was promised"
            seen += _as_tuples(more.cards)
            offset = more.next_offset
        assert seen == cards
