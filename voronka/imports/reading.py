"""Reading an uploaded table (CSV or XLSX) into a header and rows of strings.

Every failure is an :class:`ImportFileError` with a code the UI and tests can name:
``too_large``, ``encoding``, ``format``, ``empty``, ``header``.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from voronka.core.cells import from_csv_text

ENCODINGS = {"auto": "utf-8-sig", "utf-8": "utf-8-sig", "windows-1251": "cp1251",
             "cp1251": "cp1251"}


class ImportFileError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]  # data rows; row i is line i + 2 of the file (1 = header)


def max_bytes() -> int:
    return int(getattr(settings, "VORONKA_IMPORT_MAX_BYTES", 30 * 1024 * 1024))


def _cell(value) -> str:
    """An XLSX cell as the text a CSV would carry (dates in ISO, numbers without float noise)."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(Decimal(repr(value)), "f")
    return str(value).strip()


def _read_xlsx(path: Path) -> Iterator[list[str]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError("format", _("The file is not a readable XLSX workbook.")) from exc
    try:
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_cell(v) for v in row]
    finally:
        book.close()


def _sniff_delimiter(sample: str) -> str:
    first = sample.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    return max(counts, key=counts.get) if max(counts.values()) else ","


def _read_csv(path: Path, encoding: str) -> Iterator[list[str]]:
    codec = ENCODINGS.get(encoding)
    if codec is None:
        raise ImportFileError("encoding", _("Unknown encoding “%(enc)s”.") % {"enc": encoding})
    raw = path.read_bytes()
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as exc:
        raise ImportFileError("encoding", _(
            "The file is not in %(enc)s (byte %(pos)d cannot be read); choose the file's "
            "encoding, e.g. windows-1251.") % {"enc": "UTF-8" if codec == "utf-8-sig"
                                               else encoding, "pos": exc.start}) from exc
    if "\x00" in text:
        raise ImportFileError("encoding", _("The file looks like UTF-16 or a binary file; "
                                            "save it as UTF-8 CSV."))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text[:4096]))
    try:
        for row in reader:
            yield [from_csv_text(c.strip()) for c in row]
    except csv.Error as exc:
        raise ImportFileError("format", _("The CSV cannot be read: %(err)s") % {"err": exc}) \
            from exc


def read_table(path: str | os.PathLike, *, file_name: str = "", encoding: str = "auto",
               limit: int | None = None) -> Table:
    """The header and the rows (all, or the first ``limit``) of a CSV or XLSX file."""
    path = Path(path)
    size = path.stat().st_size
    if size > max_bytes():
        raise ImportFileError("too_large", _(
            "The file is %(size)d MB; at most %(max)d MB can be imported at once — split it.")
            % {"size": size // (1024 * 1024), "max": max_bytes() // (1024 * 1024)})
    name = (file_name or path.name).lower()
    if name.endswith((".xlsx", ".xlsm")):
        rows = _read_xlsx(path)
    elif name.endswith((".csv", ".txt", ".tsv")):
        rows = _read_csv(path, encoding)
    else:
        raise ImportFileError("format", _("Upload a .csv or .xlsx file."))
    header: list[str] | None = None
    data: list[list[str]] = []
    for row in rows:
        if header is None:
            if not any(row):
                continue
            header = row
            while header and not header[-1]:
                header.pop()
            continue
        if not any(row):
            data.append([])  # keep numbering: the row number is the line in the file
            continue
        data.append(row)
        if limit is not None and len(data) >= limit:
            break
    if header is None:
        raise ImportFileError("empty", _("The file is empty."))
    seen: set[str] = set()
    for name in header:
        key = name.strip().lower()
        if not key:
            raise ImportFileError("header", _("A column of the first row has no name."))
        if key in seen:
            raise ImportFileError("header", _("Column “%(col)s” appears twice.") % {"col": name})
        seen.add(key)
    while data and not data[-1]:
        data.pop()
    return Table(header=header, rows=data)
