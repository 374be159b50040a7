"""Reading model columns from hand-written SQL.

A few hot reads (the move's layout and row lock, the board) are written out because the
ORM's query building cost more than the statement itself. Their values must still come out
as the ORM gives them — SQLite's decimals and datetimes, say — so the select list is built
from the models' fields and their values pass through the ORM's own converters.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db.models import Model, Sum

# (columns, vendor) -> positions of the columns whose values the ORM converts.
_CONVERTED: dict[tuple, list[int]] = {}


def quoted(conn: Any, model: type[Model], name: str = "") -> str:
    """A model's quoted table, or the quoted column of one of its fields."""
    meta = model._meta
    return conn.ops.quote_name(meta.get_field(name).column if name else meta.db_table)


def _utc(value: Any, expression: Any, connection: Any) -> Any:
    return value if value is None else value.replace(tzinfo=datetime.UTC)


def _naive_utc(conn: Any, field: Any) -> bool:
    """PostgreSQL: read a timestamp with time zone as the UTC wall time and mark it UTC here.
    Django's psycopg loader of ``timestamptz`` is Python code run per value (~4 µs); the
    driver's own loader of a plain timestamp is not (350 cards: ~1.4 ms a column)."""
    return (conn.vendor == "postgresql" and settings.USE_TZ
            and field.get_internal_type() == "DateTimeField")


class Select:
    """A select list of model fields, each read from a table alias: ``(alias, model, field
    name)``. ``sql`` is the quoted list; ``convert`` turns a row's values into what the ORM
    would have returned for those fields."""

    def __init__(self, conn: Any, columns: Sequence[tuple[str, type[Model], str]]) -> None:
        self.conn = conn
        q = conn.ops.quote_name
        parts = []
        for alias, model, name in columns:
            field = model._meta.get_field(name)
            part = f"{alias}.{q(field.column)}"
            parts.append(f"({part} AT TIME ZONE 'UTC')" if _naive_utc(conn, field) else part)
        self.sql = ", ".join(parts)
        key = (tuple((a, m, n) for a, m, n in columns), conn.vendor)
        if key not in _CONVERTED:
            _CONVERTED[key] = [i for i, col in enumerate(columns) if self._lookup(*col)[0]]
        # Only the few converted columns are looked up on each read (most have none).
        self.converters = [(i, *self._lookup(*columns[i])) for i in _CONVERTED[key]]

    def _lookup(self, alias: str, model: type[Model], name: str) -> tuple[list, Any]:
        field = model._meta.get_field(name)
        col = field.get_col(alias)
        if _naive_utc(self.conn, field):
            return [_utc], col
        return self.conn.ops.get_db_converters(col) + col.get_db_converters(self.conn), col

    def convert(self, values: list) -> list:
        """``values`` converted in place (and returned)."""
        conn = self.conn
        for i, found, col in self.converters:
            for convert in found:
                values[i] = convert(values[i], col, conn)
        return values


class Columns(Select):
    """One model's columns from one alias; ``build`` makes instances as ``Model.objects``
    would."""

    def __init__(self, model: type[Model], alias: str, names: list[str], conn: Any) -> None:
        super().__init__(conn, [(alias, model, name) for name in names])
        self.model, self.names = model, names

    def build(self, using: str, values: list) -> Model:
        return self.model.from_db(using, self.names, self.convert(values))


def sum_converter(conn: Any, model: type[Model], name: str) -> Callable[[Any], Any]:
    """For a hand-read ``SUM`` of a model's column: its value as the ORM gives ``Sum(name)``.
    Not the column's own converter, which on SQLite rounds to the column's digits and fails
    on a total larger than any single value may be."""
    expression = Sum(name, output_field=model._meta.get_field(name))
    found = conn.ops.get_db_converters(expression) + expression.get_db_converters(conn)

    def convert(value: Any) -> Any:
        for converter in found:
            value = converter(value, expression, conn)
        return value

    return convert
