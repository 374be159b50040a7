"""Rollups = raw computation: the cells read by every report equal the same sums computed
straight from the deals and the transition log (raw.py, an independent SQL statement of every
definition), for random histories with skips, losses, reopenings, corrections and changes of
budget, owner and source, under every filter; and an incremental refresh equals a rebuild."""

import datetime
import random

import pytest
from django.db import connection

from voronka.analytics import rollups
from voronka.analytics.models import CohortCell, DurationCell, FlowCell
from voronka.analytics.query import Scope, cells
from voronka.analytics.raw import Dialect, raw_cells
from voronka.deals.models import Deal

from .scenarios import SOURCES, random_history

GROUPS = {
    "C": ("furthest_stage_id", "stage_id", "status", "loss_reason_id"),
    "F": ("kind", "stage_id", "loss_reason_id"),
    "D": ("kind", "stage_id", "bucket"),
}
PERIODS = [
    None,
    (datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)),
    (datetime.date(2025, 2, 1), datetime.date(2025, 2, 28)),
    (datetime.date(2025, 1, 27), datetime.date(2025, 3, 3)),
    (datetime.date(2025, 2, 10), datetime.date(2025, 2, 10)),
    # Most of a month: its month cells less the raw log of the other days.
    (datetime.date(2025, 1, 3), datetime.date(2025, 2, 25)),
    (datetime.date(2025, 3, 2), datetime.date(2025, 3, 30)),
]


def dialect():
    from django.conf import settings

    return Dialect(connection.vendor, settings.TIME_ZONE)


def compare(pipeline, owners_all, rnd):
    rollups.ensure_fresh()
    with connection.cursor() as cur:
        for table, group in GROUPS.items():
            for period in PERIODS:
                owners = rnd.choice([None, frozenset(owners_all[:1]), frozenset(owners_all),
                                     frozenset()])
                source = rnd.choice([None, *SOURCES])
                by_owner = rnd.random() < 0.3
                scope = Scope(pipeline.pk, owners, source)
                got = cells(table, scope, period, group, by_owner=by_owner)
                want = raw_cells(cur, dialect(), table, pipeline.pk, period, group,
                                 owners=owners, source=source, by_owner=by_owner)
                if owners is not None and not owners:
                    want = {}
                got = {tuple(str(x) for x in k): v for k, v in got.items()}
                want = {tuple(str(x) for x in k): v for k, v in want.items()}
                assert got == want, (table, period, owners, source, by_owner)


def dump():
    rows = []
    for model in (CohortCell, FlowCell, DurationCell):
        fields = [f.name for f in model._meta.concrete_fields if f.name != "id"]
        rows += [(model.__name__, *r) for r in model.objects.values_list(*fields)]
    return sorted(map(str, rows))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rollups_equal_raw(seed, team, manager, manager2, head, admin, settings):
    settings.TIME_ZONE = "Europe/Moscow"
    owners = [manager, manager2, head]
    rnd = random.Random(seed)
    state = {}

    def on_step(i):
        # Read a report now and then, so refreshes interleave with the writes.
        if rnd.random() < 0.08 and "pipeline" in state:
            compare(state["pipeline"], [o.pk for o in owners], rnd)

    pipeline = random_history(seed, team, owners, admin, on_step=on_step)
    state["pipeline"] = pipeline
    compare(pipeline, [o.pk for o in owners], rnd)
    kinds = set(Deal.objects.values_list("transitions__kind", flat=True))
    assert {"skip", "won", "lost", "reopen", "correction"} <= kinds
    incremental = dump()
    rollups.rebuild()
    assert dump() == incremental
    compare(pipeline, [o.pk for o in owners], rnd)


def test_stage_reorder_rebuilds_the_pipeline(team, manager, manager2, admin, settings):
    """Reordering stages changes what "first arrival" means: the pipeline's cells are
    rebuilt before anything else is read or refreshed."""
    from voronka.pipelines.services import stage_reorder

    settings.TIME_ZONE = "Europe/Moscow"
    owners = [manager, manager2]
    pipeline = random_history(4, team, owners, admin, deals=15, steps=60)
    rnd = random.Random(4)
    compare(pipeline, [o.pk for o in owners], rnd)
    ids = list(pipeline.stages.order_by("position").values_list("pk", flat=True))
    stage_reorder(actor=admin, pipeline=pipeline, stage_ids=[ids[1], ids[0], *ids[2:]])
    from voronka.analytics.funnel import funnel_report
    from voronka.analytics.query import Filters

    funnel_report(user=admin, filters=Filters(pipeline_id=pipeline.pk,
                                              date_from=datetime.date(2025, 1, 1),
                                              date_to=datetime.date(2025, 12, 31)))
    compare(pipeline, [o.pk for o in owners], rnd)
