"""Real threads, real transactions: two users moving one deal at once get exactly one
transition, the rest a Conflict; writers on different deals never see "database is locked"."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.conf import settings
from django.db import connections

from voronka.core.errors import Conflict, MoveRefused
from voronka.deals.models import Deal, Transition
from voronka.deals.services import (
    deal_archive,
    deal_move,
    deal_update,
    deal_win,
)
from voronka.pipelines.models import LossReason

from .factories import make_deal, meet

transactional = pytest.mark.django_db(transaction=True)
ON_POSTGRES = "postgresql" in settings.DATABASES["default"]["ENGINE"]


def run_together(n: int, work) -> list[tuple[str, object]]:
    """Run ``work(i)`` in ``n`` threads released at once; return ("ok", result) or
    ("error", exception) per thread. Each thread closes its own database connection."""
    barrier = threading.Barrier(n)
    results: list[tuple[str, object]] = [("missing", None)] * n

    def runner(i: int) -> None:
        try:
            barrier.wait(timeout=60)
            results[i] = ("ok", work(i))
        except BaseException as exc:  # noqa: BLE001 - every failure is reported, none lost
            results[i] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i,), daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results


def moves_of(deal) -> list[str]:
    return list(Transition.objects.filter(deal=deal).exclude(kind="created")
                .values_list("kind", flat=True))


def ready_deal(pipeline, stages, owner, upto: int):
    """A deal on the first stage whose facts for stages[:upto] all hold."""
    deal = make_deal(pipeline, owner)
    return meet(deal, owner, stages[:upto])


def assert_one_winner(results, deal, version_before):
    outcomes = Counter(kind for kind, _ in results)
    errors = [value for kind, value in results if kind == "error"]
    unexpected = [e for e in errors if not isinstance(e, Conflict | MoveRefused)]
    assert not unexpected, unexpected
    assert outcomes["ok"] == 1, outcomes
    assert outcomes["missing"] == 0
    deal.refresh_from_db()
    assert deal.version == version_before + 1
    return [value for kind, value in results if kind == "ok"][0]


def race_on_one_deal(pipeline, stages, manager, threads: int):
    deal = ready_deal(pipeline, stages, manager, 1)
    version = deal.version
    # Every thread read the deal before anyone wrote: the double-submitted form, N times.
    copies = [Deal.objects.get(pk=deal.pk) for _ in range(threads)]
    results = run_together(threads, lambda i: deal_move(deal=copies[i], to_stage=stages[1],
                                                        actor=manager))
    tr = assert_one_winner(results, deal, version)
    assert isinstance(tr, Transition) and tr.kind == "advance"
    assert moves_of(deal) == ["advance"]
    assert deal.stage_id == stages[1].pk


@pytest.mark.postgres_only
@transactional
def test_sixteen_threads_moving_one_deal_make_one_transition(pipeline, stages, manager):
    race_on_one_deal(pipeline, stages, manager, 16)


# SQLite's version of the race above (IMMEDIATE transactions instead of row locks).
@pytest.mark.skipif(ON_POSTGRES, reason="PostgreSQL runs the 16-thread race")
@transactional
def test_eight_threads_moving_one_deal_make_one_transition(pipeline, stages, manager):
    race_on_one_deal(pipeline, stages, manager, 8)


@pytest.mark.postgres_only
@transactional
def test_sixteen_threads_doing_different_things_to_one_deal(pipeline, stages, manager, head):
    """Advance, skip, win, archive and a field edit race; one of them happens, whole."""
    deal = ready_deal(pipeline, stages, manager, 5)
    version = deal.version
    reason = LossReason.objects.filter(pipeline=pipeline).first()
    actions = [
        lambda d: deal_move(deal=d, to_stage=stages[1], actor=manager),
        lambda d: deal_move(deal=d, to_stage=stages[3], actor=head),
        lambda d: deal_win(deal=d, actor=manager),
        lambda d: deal_archive(deal=d, actor=head, reason=reason),
        lambda d: deal_update(deal=d, actor=manager, budget="999"),
    ]
    copies = [Deal.objects.get(pk=deal.pk) for _ in range(16)]
    results = run_together(16, lambda i: actions[i % len(actions)](copies[i]))
    assert_one_winner(results, deal, version)
    assert len(moves_of(deal)) + int(deal.budget == 999) == 1


@transactional
def test_eight_threads_moving_eight_deals_never_hit_a_locked_database(team, pipeline, stages):
    from .factories import UserFactory

    owners = [UserFactory(role="manager", team=team) for _ in range(8)]
    deals = [ready_deal(pipeline, stages, owner, 5) for owner in owners]

    def walk(i: int) -> int:
        deal, owner = deals[i], owners[i]
        for stage in stages[1:]:
            deal_move(deal=deal, to_stage=stage, actor=owner)
            deal_update(deal=deal, actor=owner, source=f"поток {i} {stage.position}")
        deal_win(deal=deal, actor=owner)
        return deal.pk

    results = run_together(8, walk)
    errors = [value for kind, value in results if kind != "ok"]
    assert not errors, errors  # in particular no OperationalError "database is locked"
    for deal in deals:
        deal.refresh_from_db()
        assert moves_of(deal) == ["advance"] * 4 + ["won"]
        assert (deal.status, deal.stage_id) == ("won", stages[4].pk)
        assert deal.source == f"поток {deals.index(deal)} 4"


def test_double_click_gives_one_transition_and_a_conflict(pipeline, stages, manager):
    deal = ready_deal(pipeline, stages, manager, 1)
    version = deal.version
    stale = Deal.objects.get(pk=deal.pk)  # the page the second click came from
    deal_move(deal=deal, to_stage=stages[1], actor=manager, expected_version=version)
    with pytest.raises(Conflict) as exc:
        deal_move(deal=deal, to_stage=stages[1], actor=manager, expected_version=version)
    assert exc.value.extra == {"current_version": version + 1,
                               "current_stage_id": stages[1].pk}
    with pytest.raises(Conflict):
        deal_move(deal=stale, to_stage=stages[1], actor=manager)
    # The instance the first call used was refreshed; a repeat with it is plainly refused.
    with pytest.raises(MoveRefused):
        deal_move(deal=deal, to_stage=stages[1], actor=manager)
    assert moves_of(deal) == ["advance"]
