"""Keeping the rollups right across an upgrade of the fact rules, and the over-limit stays
counted from the log in one query for all stages."""

import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_deal, plain_pipeline
from voronka.analytics import bulk, facts, rollups
from voronka.analytics.funnel import funnel_report
from voronka.analytics.models import RefreshState
from voronka.analytics.query import FLOW, Amount, Filters, Scope, cells
from voronka.analytics.timing import timing_report
from voronka.deals import services

MSK = ZoneInfo("Europe/Moscow")
D = Decimal


def at(month, day, hour=12):
    return datetime.datetime(2025, month, day, hour, tzinfo=MSK)


def first_rules(state, moves, order, local_day):
    """The facts as version 1 made them: every win (with its cycle) and every loss counted."""
    out = [f for f in facts.deal_facts(state, moves, order, local_day)
           if not (f[0] == "F" and f[2] in ("won", "lost")) and f[2] != "cycle"]
    for move in moves:
        if move.id > state.last_transition_id:
            break
        day = local_day(move.at)
        cents = state.budget_cents if move.cents is None else move.cents
        if move.kind == "won":
            cycle = int((move.at - state.created_at).total_seconds())
            out += [("F", day, "won", 0, 0, cents),
                    ("D", day, "cycle", 0, facts.cycle_bucket(cycle), cycle)]
        elif move.kind == "lost":
            out.append(("F", day, "lost", move.to_stage_id, move.loss_reason_id, cents))
    return out


@pytest.fixture
def built_by_old_rules(team, manager, admin, settings, monkeypatch):
    """A deal won in January, reopened in February, won again in March — and rollups built
    by the first rules (version 1), as an installation upgraded from them has."""
    settings.TIME_ZONE = "Europe/Moscow"
    p = plain_pipeline(team, 3)
    d = make_deal(p, manager, budget=100, created_at=at(1, 10))
    services.deal_win(deal=d, actor=manager, at=at(1, 20))
    services.deal_reopen(deal=d, actor=admin, at=at(2, 5))
    services.deal_win(deal=d, actor=manager, at=at(3, 3))
    with monkeypatch.context() as m:
        m.setattr(bulk, "deal_facts", first_rules)
        m.setattr(rollups, "deal_facts", first_rules)
        m.setattr(rollups, "FACTS_VERSION", 1)
        rollups.rebuild()
    assert RefreshState.objects.get().facts_version == 1
    # What those cells say, read without a freshness check: two wins of one deal.
    assert cells("F", Scope(p.pk, None, None), None, ("kind",))[("won",)] == [2, 20000]
    assert facts.FACTS_VERSION > 1
    return p


def test_rollups_of_older_rules_are_rebuilt_on_the_next_read(built_by_old_rules, admin):
    p = built_by_old_rules
    f = Filters(p.pk, datetime.date(2025, 1, 1), datetime.date(2025, 3, 31), FLOW)
    assert funnel_report(user=admin, filters=f)[1].won == Amount(1, D("100.00"))
    assert RefreshState.objects.get().facts_version == facts.FACTS_VERSION
    assert timing_report(user=admin, filters=f)[1].cycle.won == 1
    out = io.StringIO()
    call_command("analytics_verify", stdout=out)
    assert "rollups = raw" in out.getvalue()


def test_verify_after_an_upgrade_rebuilds_instead_of_reporting_differences(
        built_by_old_rules):
    out = io.StringIO()
    call_command("analytics_verify", stdout=out, stderr=io.StringIO())
    assert "rollups = raw" in out.getvalue()
    assert RefreshState.objects.get().facts_version == facts.FACTS_VERSION


def test_refresh_after_an_upgrade_rebuilds(built_by_old_rules, manager):
    """A refresh would subtract facts the old cells never had: it rebuilds instead."""
    p = built_by_old_rules
    make_deal(p, manager, budget=5, created_at=at(3, 4))  # something for a refresh to read
    assert rollups.refresh() == 2  # both deals redone by a rebuild
    assert RefreshState.objects.get().facts_version == facts.FACTS_VERSION
    assert cells("F", Scope(p.pk, None, None), None, ("kind",))[("won",)] == [1, 10000]
    call_command("analytics_verify", stdout=io.StringIO())


def test_same_version_is_not_rebuilt(built_by_old_rules):
    """The control: cells of the current version are trusted, so a wrong cell shows."""
    from django.core.management import CommandError

    RefreshState.objects.update(facts_version=facts.FACTS_VERSION)
    with pytest.raises(CommandError, match="differences"):
        call_command("analytics_verify", stdout=io.StringIO(), stderr=io.StringIO())


def test_over_limit_stays_of_all_stages_in_one_query(team, manager, manager2, admin, settings):
    """Limits inside a bucket (97 h, 100 h, 150 h) are counted from the log: exactly, and in
    one grouped query for every such stage, not one per stage."""
    settings.TIME_ZONE = "Europe/Moscow"
    p = plain_pipeline(team, 4)
    s = list(p.stages.order_by("position"))
    for stage, hours in zip(s, (97, 100, 150), strict=False):
        stage.time_limit_hours = hours
        stage.save(update_fields=["time_limit_hours"])
    start = at(1, 1)
    for owner, stays in ((manager, (98, 101, 151)), (manager, (97, 99, 149)),
                         (manager2, (200,))):
        d = make_deal(p, owner, budget=1, created_at=start)
        t = start
        for i, hours in enumerate(stays):
            t += datetime.timedelta(hours=hours)
            services.deal_move(deal=d, to_stage=s[i + 1], actor=owner, at=t)
    f = Filters(p.pk, datetime.date(2025, 1, 1), datetime.date(2025, 1, 31), FLOW)
    timing_report(user=admin, filters=f)  # rollups fresh
    with CaptureQueriesContext(connection) as queries:
        stages = timing_report(user=admin, filters=f)[1].stages
    assert [(st.stays, st.over_limit) for st in stages[:3]] == [(3, 2), (2, 1), (2, 1)]
    assert [st.over_limit_share for st in stages[:3]] == [2 / 3, 1 / 2, 1 / 2]
    assert stages[3].over_limit is None  # no limit
    log_reads = [q for q in queries.captured_queries if "seconds_in_stage" in q["sql"]]
    assert len(log_reads) == 1
    mine = timing_report(user=manager, filters=f)[1].stages
    assert [(st.stays, st.over_limit) for st in mine[:3]] == [(2, 1), (2, 1), (2, 1)]
