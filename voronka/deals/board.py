"""Reads for the board: per stage the count and budget of *all* open deals under the filters,
plus one page of cards with their next task and warning marks.

The number of queries is constant, whatever the number of deals or stages: one aggregate over
the filtered deals and one for every column's first cards (each column's a ``LIMIT`` over an
index range, each card's owner, company and next task by key).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.utils import timezone

from voronka.accounts.models import User
from voronka.core.errors import NotFound
from voronka.core.numbers import parse_id
from voronka.core.rawsql import Select, quoted, sum_converter
from voronka.pipelines.models import Pipeline, Stage

from .models import Deal
from .selectors import deal_list

PAGE_SIZE = 50


@dataclass(frozen=True)
class BoardFilters:
    """The board's filters, as they travel in the URL."""

    owner_id: int | None = None
    team_id: int | None = None
    source: str = ""
    created_from: datetime.date | None = None
    created_to: datetime.date | None = None
    search: str = ""

    @classmethod
    def from_query(cls, query: Any) -> BoardFilters:
        """Parse a QueryDict (or dict); a malformed value is ignored, never an error page."""

        def number(name: str) -> int | None:
            return parse_id(query.get(name))

        def day(name: str) -> datetime.date | None:
            try:
                return datetime.date.fromisoformat((query.get(name) or "").strip())
            except ValueError:
                return None

        return cls(owner_id=number("owner"), team_id=number("team"),
                   source=(query.get("source") or "").strip()[:100],
                   created_from=day("from"), created_to=day("to"),
                   search=(query.get("q") or "").strip()[:200])

    def as_query(self) -> dict[str, str]:
        pairs = {"owner": self.owner_id, "team": self.team_id, "source": self.source,
                 "from": self.created_from.isoformat() if self.created_from else "",
                 "to": self.created_to.isoformat() if self.created_to else "",
                 "q": self.search}
        return {k: str(v) for k, v in pairs.items() if v}

    @property
    def active(self) -> bool:
        return bool(self.as_query())


@dataclass(slots=True)
class CardDeal:
    """What a card shows of its deal (slots, not frozen: a board builds hundreds)."""

    id: int
    title: str
    stage_id: int
    budget: Decimal
    version: int
    stage_entered_at: datetime.datetime
    owner: str
    company_id: int | None
    company: str
    # Placed by an import past stages whose exit facts it does not show (imports app).
    facts_unverified: bool = False


@dataclass(slots=True)
class BoardCard:
    deal: CardDeal
    days_in_stage: int
    over_time_limit: bool
    next_task_text: str | None
    next_task_due: datetime.datetime | None
    task_overdue: bool
    no_task: bool


@dataclass
class BoardColumn:
    stage: Stage
    count: int = 0
    budget: Decimal = Decimal("0")
    cards: list[BoardCard] = field(default_factory=list)
    offset: int = 0

    @property
    def next_offset(self) -> int | None:
        shown = self.offset + len(self.cards)
        return shown if shown < self.count else None


@dataclass
class Board:
    pipeline: Pipeline
    columns: list[BoardColumn]
    filters: BoardFilters

    @property
    def count(self) -> int:
        return sum(c.count for c in self.columns)

    @property
    def budget(self) -> Decimal:
        return sum((c.budget for c in self.columns), Decimal("0"))


def _open_deals(user: User, pipeline: Pipeline, filters: BoardFilters) -> QuerySet[Deal]:
    return deal_list(user=user, pipeline=pipeline, status=Deal.Status.OPEN,
                     owner_id=filters.owner_id, team_id=filters.team_id, source=filters.source,
                     search=filters.search, created_from=filters.created_from,
                     created_to=filters.created_to)


def stage_clock(entered: datetime.datetime, time_limit_hours: int | None,
                now: datetime.datetime) -> tuple[int, bool]:
    """Whole days a deal has been on its stage, and whether the stage's time limit is past
    (the board's cards and the deal page)."""
    in_stage = now - entered
    return (max(0, in_stage.days),
            bool(time_limit_hours) and in_stage > datetime.timedelta(hours=time_limit_hours))


def _card(row: tuple[Any, ...], time_limit_hours: int | None,
          now: datetime.datetime) -> BoardCard:
    """A card from a row of ``_card_select`` (plain values: a board builds hundreds of cards,
    and model instances — a deal, its owner, its company each — cost several times more)."""
    (deal_id, title, stage_id, budget, version, entered, owner_name, owner_email, company_id,
     company, task_text, due, unverified) = row[:13]
    days, over = stage_clock(entered, time_limit_hours, now)
    return BoardCard(
        deal=CardDeal(deal_id, title, stage_id, budget, version, entered,
                      owner_name or owner_email, company_id, company or "", unverified),
        days_in_stage=days,
        over_time_limit=over,
        next_task_text=task_text,
        next_task_due=due,
        task_overdue=due is not None and due < now,
        no_task=due is None,
    )


def _filtered(user: User, pipeline: Pipeline, filters: BoardFilters) -> tuple[str, list] | None:
    """The visible open deals of the pipeline under the filters as one SELECT of their id,
    stage, budget and time in stage, with its parameters; None when it selects nothing.

    Compiled by the ORM from ``deal_list`` (one definition of the filters and of who sees
    what), once per request; the board's two statements read it as a derived table."""
    return _compiled(_open_deals(user, pipeline, filters))


def _compiled(deals: QuerySet[Deal]) -> tuple[str, list] | None:
    """``deals`` as the derived table the board's statements read: (id, stage_id, budget,
    stage_entered_at) and the parameters; None when it selects nothing."""
    qs = deals.order_by().values_list("id", "stage_id", "budget", "stage_entered_at")
    try:
        sql, params = qs.query.sql_with_params()
    except EmptyResultSet:
        return None
    return sql, list(params)


def _totals(conn: Any, filtered: tuple[str, list] | None) -> dict[int, tuple[int, Decimal]]:
    if filtered is None:
        return {}
    sql, params = filtered
    total_of = sum_converter(conn, Deal, "budget")
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT x.stage_id, COUNT(*), SUM(x.budget) FROM ({sql}) x"
                       f" GROUP BY x.stage_id", params)
        rows = cursor.fetchall()
    return {stage_id: (n, total_of(total)) for stage_id, n, total in rows}


def stage_totals(*, user: User, pipeline: Pipeline, filters: BoardFilters
                 ) -> dict[int, tuple[int, Decimal]]:
    """Count and budget sum of all open deals per stage under the filters (one query)."""
    return _totals(connections[Deal.objects.db], _filtered(user, pipeline, filters))


def _card_select(conn: Any) -> Select:
    """What a card shows, from the aliases of ``_cards_sql``: d the deal, u its owner, c its
    company, t its next open task."""
    from voronka.accounts.models import User as Owner
    from voronka.activities.models import Task
    from voronka.crm.models import Company

    return Select(conn, [
        ("d", Deal, "id"), ("d", Deal, "title"), ("d", Deal, "stage_id"), ("d", Deal, "budget"),
        ("d", Deal, "version"), ("d", Deal, "stage_entered_at"), ("u", Owner, "full_name"),
        ("u", Owner, "email"), ("d", Deal, "company_id"), ("c", Company, "name"),
        ("t", Task, "text"), ("t", Task, "due_at"), ("d", Deal, "facts_unverified")])


def _cards_sql(conn: Any, select: Select, filtered: tuple[str, list], pipeline_id: int,
               per_column: int, *, stage_id: int | None = None, offset: int = 0
               ) -> tuple[str, list]:
    """Every column's first ``per_column`` cards (``stage_id``: that column's only, from
    ``offset``), newest in the stage first, in one statement: per stage a ``LIMIT`` read of
    the board index (deal_board_idx) over the filtered deals, then each card's owner, company
    and next open task by key.

    Written out: built by the ORM, this statement cost more than running it (350 cards)."""
    from voronka.accounts.models import User as Owner
    from voronka.activities.models import Task
    from voronka.crm.models import Company

    def q(model, name: str = "") -> str:
        return quoted(conn, model, name)

    base, params = filtered
    firsts = (f"SELECT x.id FROM ({base}) x WHERE x.stage_id = s.{q(Stage, 'id')}"
              f" ORDER BY x.stage_entered_at DESC, x.id DESC LIMIT %s OFFSET %s")
    open_tasks = (f"FROM {q(Task)} n WHERE n.{q(Task, 'deal')} = d.{q(Deal, 'id')}"
                  f" AND n.{q(Task, 'is_done')} = %s"
                  f" ORDER BY n.{q(Task, 'due_at')}, n.{q(Task, 'id')} LIMIT 1")
    if conn.vendor == "postgresql":  # LATERAL joins
        deals = (f"CROSS JOIN LATERAL ({firsts}) f"
                 f" JOIN {q(Deal)} d ON d.{q(Deal, 'id')} = f.id")
        next_task = (f"LEFT JOIN LATERAL (SELECT n.{q(Task, 'text')}, n.{q(Task, 'due_at')}"
                     f" {open_tasks}) t ON TRUE")
    else:  # SQLite: no LATERAL; a correlated IN list read per stage, deals by rowid
        deals = f"JOIN {q(Deal)} d ON d.{q(Deal, 'id')} IN ({firsts})"
        next_task = (f"LEFT JOIN {q(Task)} t ON t.{q(Task, 'id')}"
                     f" = (SELECT n.{q(Task, 'id')} {open_tasks})")
    one_stage = f" AND s.{q(Stage, 'id')} = %s" if stage_id is not None else ""
    sql = (f"SELECT {select.sql} FROM {q(Stage)} s {deals}"
           f" JOIN {q(Owner)} u ON u.{q(Owner, 'id')} = d.{q(Deal, 'owner')}"
           f" LEFT JOIN {q(Company)} c ON c.{q(Company, 'id')} = d.{q(Deal, 'company')}"
           f" {next_task}"
           f" WHERE s.{q(Stage, 'pipeline')} = %s"
           f"{one_stage}"
           f" ORDER BY s.{q(Stage, 'position')}, s.{q(Stage, 'id')},"
           f" d.{q(Deal, 'stage_entered_at')} DESC, d.{q(Deal, 'id')} DESC")
    tail = [pipeline_id] if stage_id is None else [pipeline_id, stage_id]
    return sql, [*params, per_column, offset, False, *tail]


def board_get(*, user: User, pipeline: Pipeline, filters: BoardFilters,
              per_column: int = PAGE_SIZE) -> Board:
    """The whole board: every stage with its totals and its first ``per_column`` cards."""
    conn = connections[Deal.objects.db]
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position", "id"))
    filtered = _filtered(user, pipeline, filters)
    totals = _totals(conn, filtered)
    columns = {s.pk: BoardColumn(stage=s, count=totals.get(s.pk, (0, 0))[0],
                                 budget=totals.get(s.pk, (0, Decimal("0")))[1])
               for s in stages}
    if filtered is None or not totals:
        return Board(pipeline=pipeline, columns=list(columns.values()), filters=filters)
    now = timezone.now()
    for card_row in _card_rows(conn, filtered, pipeline.pk, per_column):
        column = columns.get(card_row[2])
        if column is not None:
            column.cards.append(_card(card_row, column.stage.time_limit_hours, now))
    return Board(pipeline=pipeline, columns=list(columns.values()), filters=filters)


def _card_rows(conn: Any, filtered: tuple[str, list], pipeline_id: int, per_column: int, *,
               stage_id: int | None = None, offset: int = 0) -> list[list]:
    """The rows of ``_cards_sql``, converted as the ORM converts them."""
    select = _card_select(conn)
    sql, params = _cards_sql(conn, select, filtered, pipeline_id, per_column,
                             stage_id=stage_id, offset=offset)
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [select.convert(list(row)) for row in rows]


def board_column(*, user: User, pipeline: Pipeline, stage_id: Any, filters: BoardFilters,
                 offset: int = 0, limit: int = PAGE_SIZE) -> BoardColumn:
    """One more page of a column's cards (infinite scroll), with the column's totals."""
    try:
        stage = Stage.objects.get(pipeline=pipeline, pk=int(stage_id))
    except (Stage.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("stage") from exc
    conn = connections[Deal.objects.db]
    filtered = _filtered(user, pipeline, filters)
    count, budget = _totals(conn, filtered).get(stage.pk, (0, Decimal("0")))
    offset = max(0, int(offset))
    rows = _card_rows(conn, filtered, pipeline.pk, limit, stage_id=stage.pk,
                      offset=offset) if count else []
    now = timezone.now()
    return BoardColumn(stage=stage, count=count, budget=budget, offset=offset,
                       cards=[_card(row, stage.time_limit_hours, now) for row in rows])


def board_card(*, user: User, deal_id: Any) -> BoardCard:
    """One card as the board shows it (after a move or an edit), by the board's own read;
    NotFound if not visible."""
    try:
        deal = deal_list(user=user).filter(pk=int(deal_id))
    except (ValueError, TypeError) as exc:
        raise NotFound("deal") from exc
    where = deal.values_list("pipeline_id", "stage_id", "stage__time_limit_hours").first()
    filtered = _compiled(deal)
    if where is None or filtered is None:
        raise NotFound("deal")
    pipeline_id, stage_id, time_limit_hours = where
    rows = _card_rows(connections[Deal.objects.db], filtered, pipeline_id, 1,
                      stage_id=stage_id)
    if not rows:  # moved on between the two reads
        raise NotFound("deal")
    return _card(rows[0], time_limit_hours, timezone.now())


def board_sources(*, user: User, pipeline: Pipeline) -> list[str]:
    """The sources of the pipeline's deals the user sees, for the source filter."""
    return list(deal_list(user=user, pipeline_id=pipeline.pk).exclude(source="")
                .order_by("source").values_list("source", flat=True).distinct())


def move_blockers(*, deal: Deal, to_stage_id: int | None) -> list[tuple[Stage, Any]]:
    """The exit requirements that stop ``deal`` from reaching ``to_stage_id`` (None: winning),
    as (stage, requirement) pairs — what the missing-facts dialog offers to satisfy."""
    from . import gates

    stages = list(Stage.objects.filter(pipeline_id=deal.pipeline_id).order_by("position", "id"))
    ids = [s.pk for s in stages]
    if deal.stage_id not in ids:
        return []
    here = ids.index(deal.stage_id)
    there = len(stages) if to_stage_id is None else (
        ids.index(to_stage_id) if to_stage_id in ids else here)
    return [(stage, req) for stage, req, ok in gates.checklist(deal, stages[here:there])
            if not ok]
