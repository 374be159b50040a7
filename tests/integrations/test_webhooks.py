"""Outgoing webhooks: signature, idempotency key, subscriptions, retries, auto-disable, test."""

import datetime
import json

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from voronka.automation.services import rule_create
from voronka.core.errors import PermissionDenied, ValidationError
from voronka.deals.services import deal_update
from voronka.integrations.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from voronka.integrations.subscriptions import (
    webhook_send_test,
    webhook_subscription_create,
    webhook_subscription_update,
)
from voronka.integrations.webhooks import BACKOFF, MAX_ATTEMPTS, sign, verify_signature
from voronka.notifications.models import Notification

from ..factories import make_deal, make_pipeline
from .receiver import Receiver

SECRET = "s3cret-s3cret-s3cret"


def _sub(admin, url, events=("deal.created",), **kw):
    return webhook_subscription_create(actor=admin, url=url, events=list(events), secret=SECRET,
                                       **kw)


def _due_now():
    """Pretend the back-off has passed: queued retries become due."""
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())


def test_signature_roundtrip():
    body = b'{"a":1}'
    header = sign(SECRET, 1_700_000_000, body)
    assert verify_signature(SECRET, header, body, now=1_700_000_100)
    assert not verify_signature(SECRET, header, b'{"a":2}', now=1_700_000_100)
    assert not verify_signature("other-secret-value", header, body, now=1_700_000_100)
    assert not verify_signature(SECRET, header, body, now=1_700_001_000)  # too old: replay
    assert not verify_signature(SECRET, "garbage", body)


def test_events_are_delivered_signed_with_an_idempotency_key(
        pipeline, stages, admin, manager, jobs, private_ok):
    with Receiver(SECRET) as rx:
        _sub(admin, rx.url, events=["deal.created", "deal.field_changed", "task.created"])
        deal = make_deal(pipeline, manager, title="Сайт для ООО Ромашка")
        deal_update(deal=deal, actor=manager, budget="150000")
        jobs()
    assert rx.bad_signatures == 0
    assert [b["event"] for b in rx.bodies] == ["deal.created", "deal.field_changed"]
    created = rx.bodies[0]
    assert created["data"]["deal"]["title"] == "Сайт для ООО Ромашка"
    assert created["data"]["deal"]["stage"]["name"] == stages[0].name
    assert rx.bodies[1]["data"]["changes"] == [{"field": "budget", "old": "0",
                                                "new": "150000"}]
    keys = [h["Idempotency-Key"] for h in rx.headers]
    assert keys == [b["id"] for b in rx.bodies] and len(set(keys)) == 2
    assert {h["X-Voronka-Event"] for h in rx.headers} == {"deal.created", "deal.field_changed"}
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}
    assert WebhookAttempt.objects.filter(status_code=200).count() == 2


def test_subscriptions_get_only_their_events_and_team(team, other_team, admin, manager, jobs,
                                                      private_ok):
    ours, theirs = make_pipeline(team), make_pipeline(other_team)
    with Receiver() as rx_team, Receiver() as rx_all, Receiver() as rx_other:
        _sub(admin, rx_team.url, team=team)
        _sub(admin, rx_all.url)
        _sub(admin, rx_other.url, events=["deal.won"])
        make_deal(ours, manager)
        other_owner = manager.__class__.objects.create_user(
            "o@example.com", "x", team=other_team, role="manager")
        make_deal(theirs, other_owner)
        jobs()
    assert sum(rx_team.arrivals.values()) == 1
    assert sum(rx_all.arrivals.values()) == 2
    assert sum(rx_other.arrivals.values()) == 0


def test_nothing_is_sent_for_a_change_that_rolled_back(pipeline, admin, manager, jobs,
                                                       private_ok):
    from django.db import transaction

    with Receiver() as rx:
        _sub(admin, rx.url)
        with pytest.raises(RuntimeError), transaction.atomic():
            make_deal(pipeline, manager)
            raise RuntimeError("the request failed after the deal was written")
        assert jobs() == 0
    assert not WebhookDelivery.objects.exists() and not rx.arrivals


def test_failures_retry_with_back_off_then_disable(pipeline, admin, manager, jobs,
                                                   private_ok):
    assert 20 * 3600 < sum(BACKOFF) < 26 * 3600  # "retries over about a day"
    with Receiver(status=503) as rx:
        sub = _sub(admin, rx.url)
        make_deal(pipeline, manager)
        jobs()
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == "retrying" and delivery.attempts == 1
        wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
        assert 0.85 * BACKOFF[0] < wait < 1.15 * BACKOFF[0]
        retry = DBTaskResult.objects.get(status="READY")
        assert abs((retry.run_after - delivery.next_attempt_at).total_seconds()) < 1
        for _ in range(MAX_ATTEMPTS - 1):
            _due_now()
            jobs()
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == MAX_ATTEMPTS
    assert sum(rx.arrivals.values()) == MAX_ATTEMPTS and len(rx.arrivals) == 1
    assert WebhookAttempt.objects.filter(delivery=delivery, status_code=503).count() == 8
    sub.refresh_from_db()
    assert not sub.is_active and "503" in sub.disabled_reason
    assert Notification.objects.filter(user=admin, text__contains="disabled").exists()


def test_a_recovering_endpoint_is_not_disabled(pipeline, admin, manager, jobs, private_ok):
    with Receiver(status=500) as rx:
        sub = _sub(admin, rx.url)
        make_deal(pipeline, manager)
        jobs()
        rx.status = 200
        _due_now()
        jobs()
    sub.refresh_from_db()
    assert sub.is_active and sub.consecutive_failures == 0 and sub.failing_since is None
    assert WebhookDelivery.objects.get().status == "delivered"


def test_gone_disables_at_once_and_pending_deliveries_stop(pipeline, admin, manager, jobs,
                                                           private_ok):
    with Receiver(status=410) as rx:
        sub = _sub(admin, rx.url)
        make_deal(pipeline, manager)
        run_first = DBTaskResult.objects.get()
        make_deal(pipeline, manager)
        from tests.jobs import make_worker

        run_first.claim("t")
        make_worker("t").run_task(run_first)
        jobs()
    sub.refresh_from_db()
    assert not sub.is_active and "410" in sub.disabled_reason
    assert sum(rx.arrivals.values()) == 1  # the second delivery was not sent
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"failed"}
    webhook_subscription_update(actor=admin, subscription=sub, url=sub.url,
                                events=sub.events, is_active=True)
    sub.refresh_from_db()
    assert sub.is_active and sub.disabled_reason == "" and sub.consecutive_failures == 0


def test_private_addresses_are_refused_unless_allowed(pipeline, admin, manager, jobs):
    with Receiver() as rx:
        _sub(admin, rx.url)
        make_deal(pipeline, manager)
        jobs()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and "private" in delivery.last_error
    assert not rx.arrivals


def test_send_test_reports_the_answer(admin, private_ok):
    with Receiver(SECRET) as rx:
        sub = _sub(admin, rx.url)
        delivery = webhook_send_test(actor=admin, subscription=sub)
        assert delivery.status == "delivered" and delivery.last_status_code == 200
        rx.status = 500
        failed = webhook_send_test(actor=admin, subscription=sub)
    assert failed.status == "failed" and failed.last_status_code == 500
    assert [b["event"] for b in rx.bodies] == ["test", "test"] and rx.bad_signatures == 0
    sub.refresh_from_db()
    assert sub.is_active  # a failed test never disables


def test_subscription_validation_and_permission(admin, head):
    with pytest.raises(PermissionDenied):
        webhook_subscription_create(actor=head, url="https://example.com/h",
                                    events=["deal.created"])
    for kwargs, field in (({"url": "ftp://x", "events": ["deal.created"]}, "url"),
                          ({"url": "https://x.org", "events": []}, "events"),
                          ({"url": "https://x.org", "events": ["deal.exploded"]}, "events"),
                          ({"url": "https://x.org", "events": ["deal.won"], "secret": "short"},
                           "secret")):
        with pytest.raises(ValidationError) as exc:
            webhook_subscription_create(actor=admin, **kwargs)
        assert field in exc.value.errors
    sub = webhook_subscription_create(actor=admin, url="https://x.org/h", events=["deal.won"])
    assert len(sub.secret) >= 32
    assert not WebhookSubscription.objects.exclude(pk=sub.pk).exists()


def test_rule_action_calls_a_webhook(pipeline, admin, head, manager, jobs, private_ok):
    with Receiver(SECRET) as rx:
        sub = _sub(admin, rx.url, events=["deal.won"])
        rule_create(actor=head, pipeline=pipeline, name="To ERP", trigger="deal_created",
                    actions=[{"type": "webhook", "subscription_id": sub.pk}])
        deal = make_deal(pipeline, manager)
        jobs()
    body = rx.bodies[0]
    assert body["event"] == "automation.webhook" and body["data"]["deal"]["id"] == deal.pk
    assert body["data"]["rule"]["name"] == "To ERP"
    assert json.dumps(body)  # plain JSON all the way down
    assert rx.headers[0]["Idempotency-Key"].startswith("rule:")


def test_delivery_created_at_is_the_event_time(pipeline, admin, manager, private_ok):
    _sub(admin, "http://127.0.0.1:9/h")
    before = timezone.now()
    make_deal(pipeline, manager)
    delivery = WebhookDelivery.objects.get()
    assert before - datetime.timedelta(seconds=1) <= delivery.created_at <= timezone.now()
    assert delivery.payload["occurred_at"]
