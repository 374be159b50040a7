"""The formula-injection guard of exports (voronka.core.cells)."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from voronka.core.cells import _NUMBER, FORMULA_START, csv_text, from_csv_text, xlsx_row


def test_formula_starts_get_an_apostrophe_numbers_do_not():
    assert csv_text("=1+1") == "'=1+1"
    assert csv_text("+7 916 123") == "'+7 916 123"
    assert csv_text("@cmd") == "'@cmd"
    assert csv_text("\t=x") == "'\t=x"
    assert csv_text("-1+2") == "'-1+2"
    for plain in ("-5", "-1500.50", "+3", "-0,5", "Сделка", "", "a=b"):
        assert csv_text(plain) == plain
    assert csv_text(-5) == -5 and csv_text(None) is None


@given(st.text())
def test_what_the_guard_writes_our_import_reads_back(value):
    written = csv_text(value)
    assert from_csv_text(written) == value
    if written.startswith(FORMULA_START):  # only a plain number may start like a formula
        assert written == value and _NUMBER.fullmatch(value)


def test_xlsx_cells_that_look_like_formulas_are_text():
    book = Workbook(write_only=True)
    sheet = book.create_sheet("x")
    sheet.append(xlsx_row(sheet, ["=2+2", "-3", 4, "ok"]))
    buf = io.BytesIO()
    book.save(buf)
    cells = list(load_workbook(buf).active.iter_rows())[0]
    assert [c.value for c in cells] == ["=2+2", "-3", 4, "ok"]
    assert [c.data_type for c in cells] == ["s", "s", "n", "s"]
