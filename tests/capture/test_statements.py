"""What processing a lead costs in statements, and that skipping the event subscribers
nobody listens to skips only those (core.events probes, read with the channel lock)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from voronka.automation.services import rule_create
from voronka.capture.models import Capture, Channel
from voronka.capture.services import capture_submit, channel_create
from voronka.crm.services import contact_create

from ..factories import make_deal, plain_pipeline

FORM = {"name": "Иван", "phone": "8 916 123-45-67", "email": "Ivan@Example.com",
        "comment": "Нужна смета", "utm_source": "google"}


@pytest.fixture
def calls(subscriber_calls):
    return subscriber_calls


def _rule(head, pipeline, trigger):
    return rule_create(actor=head, pipeline=pipeline, name=trigger, trigger=trigger,
                       actions=[{"type": "notify", "text": trigger}])


def _plain_reads(ctx, table: str) -> int:
    return sum(f'"{table}"' in q["sql"] and "EXISTS" not in q["sql"].upper()
               for q in ctx.captured_queries)


def test_a_new_lead_nobody_listens_to(form_channel, calls):
    with CaptureQueriesContext(connection) as ctx:
        capture, created = capture_submit(channel=form_channel, payload=FORM)
    assert created and capture.outcome == Capture.Outcome.CREATED
    assert calls == []
    assert _plain_reads(ctx, "automation_rule") == 0
    assert _plain_reads(ctx, "integrations_webhooksubscription") == 0
    sql = [q["sql"].upper() for q in ctx.captured_queries]
    # The raw payload's and the processing's own savepoints (the test runs in a
    # transaction); none for the services inside.
    assert sum(s.startswith("SAVEPOINT") for s in sql) == 2
    # The raw INSERT; the channel lock, the dedupe probe, the candidates, the turn, the
    # first stage, eight rows, the outcome; the two savepoints and their releases.
    assert len(sql) <= 19


def test_a_lead_in_a_pipeline_with_a_rule_reaches_the_automation(form_channel, head, calls):
    _rule(head, form_channel.pipeline, "lead_captured")
    capture_submit(channel=form_channel, payload=FORM)
    assert [e for who, e in calls if who == "automation"] == [
        "deal.created", "task.created", "lead.captured"]
    assert [who for who, _e in calls if who == "webhooks"] == []


def test_a_call_on_another_pipelines_deal_is_heard_there(team, head, manager, admin, calls):
    """The probe answered for the channel's pipeline; an open deal in another one (where a
    rule listens) still gets its subscribers."""
    quiet, busy = plain_pipeline(team, name="Тихая"), plain_pipeline(team, name="Шумная")
    _rule(head, busy, "call_missed")
    contact = contact_create(actor=manager, full_name="Пётр", phones=["+79165554433"])
    deal = make_deal(busy, manager, contacts=[(contact, "other")])
    phone = channel_create(actor=admin, name="АТС", kind=Channel.Kind.TELEPHONY, pipeline=quiet)
    calls.clear()
    capture, _created = capture_submit(channel=phone, payload={
        "provider_call_id": "c-1", "direction": "inbound", "from": "+7 916 555-44-33",
        "status": "missed"})
    assert capture.deal == deal
    assert ("automation", "call.missed") in calls
    assert ("automation", "task.created") in calls


def test_a_lead_hands_the_probes_answers_on(form_channel, head):
    """The automation's probe answer (a signature of the active rules) travels with the
    capture's events, so a lead reads the rules no more than the probe does once they are
    known (core.events hints)."""
    _rule(head, form_channel.pipeline, "lead_captured")
    capture_submit(channel=form_channel, payload=FORM)  # reads the rules once
    with CaptureQueriesContext(connection) as ctx:
        capture_submit(channel=form_channel, payload={**FORM, "phone": "+79160000001",
                                                      "email": "other@example.com"})
    assert _plain_reads(ctx, "automation_rule") == 0
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.count() == 2  # each lead's rule job is still queued
