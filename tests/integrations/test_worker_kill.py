"""Reliability with real processes: a worker killed with SIGKILL in the middle of 1,000 webhook
deliveries, another started after it — every idempotency key reaches the receiver and is
processed once; nothing is lost, nothing is left RUNNING."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from voronka.integrations.models import WebhookDelivery
from voronka.integrations.subscriptions import webhook_subscription_create
from voronka.integrations.webhooks import deliveries_create

from .receiver import Receiver

ROOT = Path(os.path.abspath(__file__)).parents[2]
N = 1000
LEASE_S = 2


def _worker(log: Path) -> subprocess.Popen:
    s = connection.settings_dict
    url = (f"postgres://{s['USER']}{':' + s['PASSWORD'] if s['PASSWORD'] else ''}"
           f"@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}")
    env = {**os.environ, "DATABASE_URL": url, "VORONKA_WEBHOOKS_ALLOW_PRIVATE": "1",
           "VORONKA_JOB_LEASE_SECONDS": str(LEASE_S), "DEBUG": "0"}
    return subprocess.Popen([sys.executable, "-m", "voronka.cli", "worker", "--interval", "0.05"],
                            cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _wait(predicate, timeout: float, what) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what() if callable(what) else what}")


def _queue() -> list:
    return list(DBTaskResult.objects.exclude(status="SUCCESSFUL").values_list(
        "status", "task_path", "worker_ids", "started_at", "run_after"))


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_kill_9_midway_loses_nothing_and_doubles_nothing(admin, tmp_path):
    log = tmp_path / "workers.log"
    workers: list[subprocess.Popen] = []
    with Receiver("s" * 20) as rx:
        rx.hold_at = 300  # the 300th request hangs until the first worker is dead
        sub = webhook_subscription_create(actor=admin, url=rx.url, events=["deal.created"],
                                          secret="s" * 20)
        with transaction.atomic():
            for i in range(N):
                deliveries_create(event="deal.created", payload={"n": i}, key=f"bulk:{i}",
                                  subscriptions=[sub])
        keys = set(WebhookDelivery.objects.values_list("idempotency_key", flat=True))
        assert len(keys) == N
        try:
            first = _worker(log)
            workers.append(first)
            assert rx.held.wait(120), log.read_text()
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            # The dead worker's job is still RUNNING: nothing will finish it but the lease.
            assert DBTaskResult.objects.filter(status="RUNNING").count() == 1
            rx.release.set()  # the receiver finishes the request nobody waits for any more
            second = _worker(log)
            workers.append(second)
            _wait(lambda: not WebhookDelivery.objects.exclude(status="delivered").exists(),
                  180, "every delivery to be delivered")
            # (Other apps may have queued jobs for later, e.g. a nightly one: not ours.)
            _wait(lambda: not DBTaskResult.objects.filter(
                status__in=("READY", "RUNNING"), task_path__endswith="deliver_webhook"
            ).exists(), 60,
                  lambda: f"the queue to drain: {_queue()}\n{log.read_text()[-3000:]}")
        finally:
            for proc in workers:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                    try:
                        proc.wait(15)
                    except subprocess.TimeoutExpired:
                        proc.kill()
    assert set(rx.processed) == keys  # every key arrived …
    assert set(rx.processed.values()) == {1}  # … and was processed once
    resent = {k: n for k, n in rx.arrivals.items() if n > 1}
    assert len(resent) == 1, resent  # only the request in flight at the kill went twice
    assert sum(rx.arrivals.values()) == N + 1
    assert rx.bad_signatures == 0
    (held_key,) = resent
    # The first request died with its worker before it was recorded: one recorded attempt.
    assert WebhookDelivery.objects.get(idempotency_key=held_key).attempts == 1
    assert not DBTaskResult.objects.filter(status="FAILED").exists()
    assert "re-queued" in log.read_text()
