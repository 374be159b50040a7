"""Spreadsheet cells that stay text: the guard against formula injection in exports.

A deal title, a company name or a UTM tag comes from outside (a web form, an import, an
API client). Written as it is into a CSV or XLSX, "=HYPERLINK(…)" or "+cmd|…" becomes a
formula the moment a head of sales opens the export. CSV cells that a spreadsheet would read
as a formula get a leading apostrophe (the usual remedy: the program shows the text and
hides the mark); XLSX cells are written with the string type, so they keep their exact text.
Our own import takes the apostrophe off again, so an export imports back unchanged.
"""

from __future__ import annotations

import re
from typing import Any

# What spreadsheet programs take as the start of a formula (or a DDE call).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


def csv_text(value: Any) -> Any:
    """``value`` safe for a CSV cell: text that would start a formula gets an apostrophe;
    numbers (also negative ones written as text) and everything else pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START) \
            and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_row(values: list[Any]) -> list[Any]:
    return [csv_text(v) for v in values]


def from_csv_text(value: str) -> str:
    """The inverse of ``csv_text`` for a cell read back by our import."""
    if value.startswith("'") and value[1:].startswith(FORMULA_START) \
            and not _NUMBER.fullmatch(value[1:]):
        return value[1:]
    return value


def xlsx_row(sheet: Any, values: list[Any]) -> list[Any]:
    """``values`` as openpyxl cells of ``sheet`` (also a write-only sheet): text that would
    start a formula is stored as a string cell, never a formula."""
    from openpyxl.cell import WriteOnlyCell

    row = []
    for value in values:
        if isinstance(value, str) and value.startswith(FORMULA_START):
            cell = WriteOnlyCell(sheet, value=None)
            cell.value, cell.data_type = value, "s"
            row.append(cell)
        else:
            row.append(value)
    return row
