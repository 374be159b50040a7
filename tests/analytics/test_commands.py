"""The rollup commands: rebuild, refresh, verify (which catches a corrupted cell)."""

import io

import pytest
from django.core.management import CommandError, call_command

from voronka.analytics.models import CohortCell, DealSnapshot


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_rebuild_refresh_verify(history, manager):
    from voronka.deals.services import deal_move

    assert "rebuilt the rollups of 6 deals" in run("analytics_rebuild")
    assert DealSnapshot.objects.count() == 6
    deal = history["deals"]["C"]
    deal_move(deal=deal, to_stage=history["stages"][3], actor=manager)
    assert "refreshed 1 deals" in run("analytics_refresh")
    assert "rollups = raw" in run("analytics_verify")
    assert "rebuilt the rollups of 6 deals" in run("analytics_rebuild", str(history["pipeline"].pk))
    with pytest.raises(CommandError):
        run("analytics_rebuild", "999999")


def test_verify_catches_a_wrong_cell(history):
    run("analytics_rebuild")
    CohortCell.objects.filter(level=1).update(n=42)
    with pytest.raises(CommandError, match="differences"):
        run("analytics_verify")
