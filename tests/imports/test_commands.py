"""`voronka import` / `voronka export` (the management commands behind them)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from voronka.deals.models import Deal

from .conftest import DATA

pytestmark = pytest.mark.django_db


def test_import_and_export_commands(people, pipeline, tmp_path):
    out = io.StringIO()
    call_command("import", "deals", str(DATA / "amocrm_deals.csv"), "--dry-run", stdout=out)
    assert "dry_run: 4 of 4" in out.getvalue() and Deal.objects.count() == 0
    call_command("import", "deals", str(DATA / "amocrm_deals.csv"), stdout=io.StringIO())
    assert Deal.objects.count() == 4
    with pytest.raises(CommandError):  # the same IDs from the same source again
        call_command("import", "deals", str(DATA / "amocrm_deals.csv"), stdout=io.StringIO())
    target = tmp_path / "deals.xlsx"
    call_command("export", "deals", "-o", str(target), stderr=io.StringIO())
    assert target.read_bytes()[:2] == b"PK"
    with pytest.raises(CommandError, match="encoding"):
        bad = tmp_path / "bad.csv"
        bad.write_bytes("Название сделки\nСделка\n".encode("cp1251"))
        call_command("import", "deals", str(bad), stdout=io.StringIO())
