"""Moves skip the event subscribers nobody listens to — and only those (core.events probes)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from voronka.automation.services import rule_create, rule_set_active
from voronka.deals.moves import deal_move, deal_win
from voronka.integrations.subscriptions import webhook_subscription_create

from .factories import make_deal, plain_pipeline

TASK = {"type": "create_task", "text": "Договориться о встрече", "kind": "call",
        "due_minutes": 120}


@pytest.fixture
def calls(subscriber_calls):
    return subscriber_calls


def _names(calls) -> list[str]:
    """The subscribers called, in order."""
    return [name for name, _event in calls]


def _move(deal, manager):
    deal.refresh_from_db()
    nxt = deal.pipeline.stages.filter(position__gt=deal.stage.position).order_by("position")[0]
    return deal_move(deal=deal, to_stage=nxt, actor=manager)


def test_nobody_listens_no_subscriber_runs_and_no_query_is_spent(team, manager, calls):
    pipeline = plain_pipeline(team)
    deal = make_deal(pipeline, manager)
    calls.clear()
    with CaptureQueriesContext(connection) as ctx:
        _move(deal, manager)
    assert _names(calls) == []
    sql = " ".join(q["sql"] for q in ctx.captured_queries).lower()
    # The probes ride on the layout statement: no separate rule or subscription query.
    assert "select" in sql
    assert sum('"automation_rule"' in q["sql"] and "exists" not in q["sql"].lower()
               for q in ctx.captured_queries) == 0
    assert sum('"integrations_webhooksubscription"' in q["sql"]
               and "exists" not in q["sql"].lower() for q in ctx.captured_queries) == 0


def test_an_active_rule_in_the_pipeline_wakes_the_automation(team, head, manager, calls):
    pipeline, other = plain_pipeline(team), plain_pipeline(team)
    rule_create(actor=head, pipeline=other, name="Elsewhere", trigger="deal_created",
                actions=[TASK])
    deal = make_deal(pipeline, manager)
    calls.clear()
    _move(deal, manager)
    assert _names(calls) == []  # a rule of another pipeline does not listen here
    rule = rule_create(actor=head, pipeline=pipeline, name="Here", trigger="stage_entered",
                       actions=[TASK])
    _move(deal, manager)
    assert _names(calls) == ["automation"]
    rule_set_active(rule=rule, actor=head, is_active=False)
    calls.clear()
    _move(deal, manager)
    assert _names(calls) == []


def test_subscriptions_of_every_team_or_the_pipelines_team_wake_the_webhooks(
        team, other_team, admin, manager, calls):
    pipeline = plain_pipeline(team)
    deal = make_deal(pipeline, manager)
    webhook_subscription_create(actor=admin, url="https://example.com/other",
                                events=["deal.stage_changed"], team=other_team)
    calls.clear()
    _move(deal, manager)
    assert _names(calls) == []
    webhook_subscription_create(actor=admin, url="https://example.com/mine",
                                events=["deal.won"], team=team)
    _move(deal, manager)
    assert _names(calls) == ["webhooks"]  # the handler then filters by event name itself
    calls.clear()
    deal.refresh_from_db()
    deal_win(deal=deal, actor=manager)
    assert _names(calls) == ["webhooks"]


def test_every_team_subscription_listens_everywhere(team, admin, manager, calls):
    pipeline = plain_pipeline(team)
    deal = make_deal(pipeline, manager)
    webhook_subscription_create(actor=admin, url="https://example.com/all",
                                events=["deal.stage_changed"])
    calls.clear()
    _move(deal, manager)
    assert _names(calls) == ["webhooks"]


def test_the_automation_reads_the_rules_again_exactly_when_they_change(team, head, manager):
    from django.test.utils import CaptureQueriesContext

    from voronka.automation.services import rule_update

    pipeline = plain_pipeline(team, 14)
    rule = rule_create(actor=head, pipeline=pipeline, name="A", trigger="stage_entered",
                       actions=[TASK])
    deal = make_deal(pipeline, manager)

    def rule_reads() -> int:
        with CaptureQueriesContext(connection) as ctx:
            _move(deal, manager)
        return sum('"automation_rule"' in q["sql"] and "CASE WHEN" not in q["sql"]
                   for q in ctx.captured_queries)

    rule_reads()
    assert rule_reads() == 0  # the same rules: the signature from the layout statement says so
    rule_update(rule=rule, actor=head, name="A2", trigger="stage_entered", actions=[TASK])
    assert rule_reads() == 1
    assert rule_reads() == 0
    other = rule_create(actor=head, pipeline=pipeline, name="B", trigger="stage_entered",
                        actions=[TASK])
    assert rule_reads() == 1
    rule_set_active(rule=other, actor=head, is_active=False)
    assert rule_reads() == 1
    rule_set_active(rule=other, actor=head, is_active=True)
    assert rule_reads() == 1
    other.delete()  # a rule gone (its stage deleted, say) changes the signature as well
    assert rule_reads() == 1
    assert rule_reads() == 0
    rule_set_active(rule=rule, actor=head, is_active=False)
    assert rule_reads() == 0  # nobody listens: the automation is not even called
