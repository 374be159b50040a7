"""The same cells as the rollups, computed straight from the raw tables with one SQL query.

This is the reference the rollups are checked against (tests) and the baseline they are timed
against (bench/report.py runs it on SQLite, PostgreSQL and DuckDB). It shares no code with
``facts.py``: it is a second, independent statement of every definition, in SQL with window
functions. Literals are inlined (ids, dates and one escaped string), so the text runs on any
DB-API cursor, DuckDB's included.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable

SQLITE, POSTGRES, DUCKDB = "sqlite", "postgresql", "duckdb"


class Dialect:
    def __init__(self, name: str, tz: str) -> None:
        self.name, self.tz = name, tz

    def day(self, column: str) -> str:
        """The local calendar day of a timestamp column."""
        if self.name == SQLITE:
            return f"django_datetime_cast_date({column}, '{self.tz}', 'UTC')"
        return f"CAST(({column} AT TIME ZONE '{self.tz}') AS DATE)"

    def date(self, value: datetime.date) -> str:
        return f"'{value.isoformat()}'" if self.name == SQLITE else f"DATE '{value.isoformat()}'"

    def instant(self, value: datetime.datetime) -> str:
        """A UTC timestamp literal comparable with the stored column."""
        utc = value.astimezone(datetime.UTC).replace(tzinfo=None)
        if self.name == SQLITE:
            return f"'{utc}'"  # Django's storage format: naive UTC text
        return f"CAST('{utc}+00:00' AS TIMESTAMP WITH TIME ZONE)"

    def idiv(self, a: str, b: int) -> str:
        return f"(({a}) // {b})" if self.name == DUCKDB else f"(({a}) / {b})"

    def greatest(self, a: str, b: str) -> str:
        return f"MAX({a}, {b})" if self.name == SQLITE else f"GREATEST({a}, {b})"

    def seconds_between(self, later: str, earlier: str) -> str:
        if self.name == SQLITE:
            return f"(django_timestamp_diff({later}, {earlier}) / 1000000)"
        if self.name == DUCKDB:
            return f"((epoch_us({later}) - epoch_us({earlier})) // 1000000)"
        return f"CAST(FLOOR(EXTRACT(EPOCH FROM ({later} - {earlier}))) AS BIGINT)"

    @staticmethod
    def text(value: str) -> str:
        return "'" + value.replace("'", "''") + "'"


def _ids(values: Iterable[int]) -> str:
    return ", ".join(str(int(v)) for v in values) or "NULL"


def _deals(d: Dialect, pipeline_id: int, owners, source, deal_ids) -> str:
    where = [f"pipeline_id = {int(pipeline_id)}"]
    if owners is not None:
        where.append(f"owner_id IN ({_ids(owners)})")
    if source is not None:
        where.append(f"COALESCE(source, '') = {d.text(source)}")
    if deal_ids is not None:
        where.append(f"id IN ({_ids(deal_ids)})")
    return (f"SELECT id AS deal_id, pipeline_id, owner_id, COALESCE(source, '') AS source, "
            f"CAST(ROUND(budget * 100) AS BIGINT) AS cents, created_at, furthest_stage_id, "
            f"stage_id, status, COALESCE(loss_reason_id, 0) AS loss_reason_id "
            f"FROM deals_deal WHERE {' AND '.join(where)}")


def _cents_of(alias: str) -> str:
    """The budget recorded on a transition, in cents (NULL when it was not recorded)."""
    return f"CAST(ROUND({alias}.budget * 100) AS BIGINT)"


def _stay_bucket(d: Dialect, s: str) -> str:
    hours, days, weeks = (d.idiv(f"{s} + 3599", 3600), d.idiv(f"{s} + 86399", 86400),
                          d.idiv(f"{s} + 604799", 604800))
    return (f"CASE WHEN {s} <= 0 THEN 0 WHEN {hours} <= 72 THEN {hours} "
            f"WHEN {days} <= 90 THEN {days} * 24 ELSE {weeks} * 168 END")


def facts_sql(d: Dialect, table: str, pipeline_id: int, owners=None, source=None,
              deal_ids=None, bounds=None, with_day: bool = True) -> str:
    """A query of one fact per row: C (day, furthest, stage, status, reason, cents),
    F (day, kind, stage, reason, cents) or D (day, kind, stage, bucket, seconds); every row
    also has owner_id and source. A win or loss (and a win's cycle) is a fact only if it is
    the deal's standing close: no later win, loss or reopening of the deal exists. ``bounds``
    (UTC instants [from, to)) keeps only the facts of that time, without converting every
    row's time to a local day; ``with_day=False`` leaves the day out (NULL) when nothing
    groups or filters by it (SQLite converts in Python)."""
    deals = _deals(d, pipeline_id, owners, source, deal_ids)
    day_of = d.day if with_day else (lambda _column: "NULL")
    if table == "C":
        where = ""
        if bounds:
            where = (f" WHERE created_at >= {d.instant(bounds[0])} "
                     f"AND created_at < {d.instant(bounds[1])}")
        return (f"SELECT owner_id, source, {day_of('created_at')} AS day, furthest_stage_id, "
                f"stage_id, status, loss_reason_id, cents AS measure "
                f"FROM ({deals}) dd{where}")
    ordered = ("SELECT id AS stage_id, pipeline_id, ROW_NUMBER() OVER (PARTITION BY pipeline_id "
               "ORDER BY position, id) - 1 AS idx FROM pipelines_stage")
    columns = ("tr.deal_id, tr.id, tr.kind, tr.from_stage_id, tr.to_stage_id, tr.at, "
               "tr.seconds_in_stage, COALESCE(tr.loss_reason_id, 0) AS loss_reason_id, "
               "dd.owner_id, dd.source, dd.cents, dd.created_at, dd.pipeline_id, "
               f"COALESCE({_cents_of('tr')}, dd.cents) AS mcents")
    joined = f"FROM deals_transition tr JOIN ({deals}) dd ON dd.deal_id = tr.deal_id"
    in_time = ""
    if bounds:
        in_time = f"t.at >= {d.instant(bounds[0])} AND t.at < {d.instant(bounds[1])} AND "
    day = day_of("t.at")
    # A close stands when nothing later in the deal's log closes or reopens it.
    standing = ("NOT EXISTS (SELECT 1 FROM deals_transition nx WHERE nx.deal_id = "
                "t.deal_id AND nx.id > t.id AND nx.kind IN ('won', 'lost', 'reopen'))")
    if table == "F":
        # The first arrival at a stage needs the deal's whole history (the running maximum of
        # the stage reached before each move), so the time filter comes after the window.
        moves = (f"SELECT {columns}, o.idx, MAX(CASE WHEN tr.kind <> 'correction' THEN o.idx "
                 f"END) OVER (PARTITION BY tr.deal_id ORDER BY tr.id ROWS BETWEEN UNBOUNDED "
                 f"PRECEDING AND 1 PRECEDING) AS prev {joined} "
                 f"LEFT JOIN ({ordered}) o ON o.stage_id = tr.to_stage_id")
        return (
            f"SELECT t.owner_id, t.source, {day} AS day, 'reach' AS kind, s.stage_id, "
            f"0 AS loss_reason_id, t.mcents AS measure FROM ({moves}) t "
            f"JOIN ({ordered}) s ON s.pipeline_id = t.pipeline_id "
            f"AND s.idx > COALESCE(t.prev, -1) AND s.idx <= t.idx "
            f"WHERE {in_time}t.kind <> 'correction' AND t.idx IS NOT NULL "
            f"UNION ALL SELECT t.owner_id, t.source, {day}, 'won', 0, 0, t.mcents "
            f"FROM ({moves}) t WHERE {in_time}t.kind = 'won' AND {standing} "
            f"UNION ALL SELECT t.owner_id, t.source, {day}, 'lost', t.to_stage_id, "
            f"t.loss_reason_id, t.mcents FROM ({moves}) t "
            f"WHERE {in_time}t.kind = 'lost' AND {standing}")
    moves = f"SELECT {columns} {joined}"
    if bounds:
        moves += (f" WHERE tr.at >= {d.instant(bounds[0])} AND tr.at < {d.instant(bounds[1])}"
                  f" AND tr.pipeline_id = {int(pipeline_id)}")
    stay = d.greatest("t.seconds_in_stage", "0")
    cycle = d.greatest(d.seconds_between("t.at", "t.created_at"), "0")
    return (
        f"SELECT t.owner_id, t.source, {day} AS day, 'stay' AS kind, t.from_stage_id AS "
        f"stage_id, {_stay_bucket(d, stay)} AS bucket, {stay} AS measure "
        f"FROM ({moves}) t "
        f"WHERE t.kind IN ('advance', 'skip', 'won', 'lost', 'correction') "
        f"AND t.from_stage_id IS NOT NULL "
        f"UNION ALL SELECT t.owner_id, t.source, {day}, 'cycle', 0, "
        f"CASE WHEN {cycle} <= 0 THEN 0 ELSE {d.idiv(f'{cycle} + 86399', 86400)} END, "
        f"{cycle} FROM ({moves}) t WHERE t.kind = 'won' AND {standing}")


def raw_cells(cursor, dialect: Dialect, table: str, pipeline_id: int,
              period: tuple[datetime.date, datetime.date] | None, group: tuple[str, ...], *,
              owners=None, source=None, deal_ids=None, by_owner: bool = False,
              where: dict[str, object] | None = None,
              bounds: tuple[datetime.datetime, datetime.datetime] | None = None,
              ) -> dict[tuple, list[int]]:
    """Like ``query.cells`` but from the raw tables: key → [n, measure]. The period is given
    either as local days (``period``) or as UTC instants (``bounds``, faster)."""
    columns = (("owner_id",) if by_owner else ()) + group
    with_day = period is not None or "day" in group
    conditions = []
    if period is not None:
        conditions.append(f"day >= {dialect.date(period[0])} AND day <= {dialect.date(period[1])}")
    for column, value in (where or {}).items():
        literal = dialect.text(value) if isinstance(value, str) else str(int(value))
        conditions.append(f"{column} = {literal}")
    select = ", ".join(columns)
    facts = facts_sql(dialect, table, pipeline_id, owners, source, deal_ids, bounds, with_day)
    sql = (f"SELECT {select}{', ' if select else ''}COUNT(*), SUM(measure) FROM ({facts}) f"
           + (f" WHERE {' AND '.join(conditions)}" if conditions else "")
           + (f" GROUP BY {select}" if select else ""))
    cursor.execute(sql)
    out: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for row in cursor.fetchall():
        if not row[-2]:
            continue
        cell = out[tuple(row[:-2])]
        cell[0] += int(row[-2])
        cell[1] += int(row[-1] or 0)
    return out
