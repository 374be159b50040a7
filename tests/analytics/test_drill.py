"""Every number opens the list of deals behind it: the list has exactly that many rows."""

import datetime

import pytest

from voronka.analytics.drill import drill, over_limit_after
from voronka.analytics.dynamics import dynamics_report
from voronka.analytics.facts import bucket_threshold, limit_fits_buckets, stay_bucket
from voronka.analytics.funnel import funnel_report
from voronka.analytics.losses import losses_report
from voronka.analytics.query import COHORT, FLOW, Filters, context
from voronka.analytics.timing import timing_report

JAN1, FEB28 = datetime.date(2025, 1, 1), datetime.date(2025, 2, 28)


def filters(history, mode, **kw):
    return Filters(pipeline_id=history["pipeline"].pk, date_from=JAN1, date_to=FEB28,
                   mode=mode, **kw)


def rows(user, f, cell):
    return drill(user=user, ctx=context(user, f), cell=cell).queryset.count()


@pytest.mark.parametrize("mode", [COHORT, FLOW])
@pytest.mark.parametrize("who", ["admin", "manager"])
def test_funnel_numbers_match_their_lists(mode, who, history, request):
    user = request.getfixturevalue(who)
    f = filters(history, mode)
    _ctx, funnel = funnel_report(user=user, filters=f)
    assert rows(user, f, "requests") == funnel.requests.n
    assert rows(user, f, "won") == funnel.won.n
    for s in funnel.stages:
        assert rows(user, f, f"reached:{s.id}") == s.reached.n, s.name
        assert rows(user, f, f"now:{s.id}") == s.now.n
        assert rows(user, f, f"lost:{s.id}") == s.lost.n
        for reason, amount in s.lost_by_reason.items():
            assert rows(user, f, f"lost:{s.id}:{reason}") == amount.n


def test_flow_reached_lists_first_arrivals(admin, history):
    f = filters(history, FLOW)
    stage2 = history["stages"][1]
    titles = set(drill(user=admin, ctx=context(admin, f), cell=f"reached:{stage2.pk}")
                 .queryset.values_list("title", flat=True))
    assert titles == {"A", "B", "C", "D", "E", "F"}  # B by its skip, F created in December


def test_timing_losses_dynamics_numbers_match(admin, history):
    f = filters(history, FLOW)
    _ctx, timing = timing_report(user=admin, filters=f)
    for s in timing.stages:
        assert rows(admin, f, f"stays:{s.id}") == s.stays
        if s.over_limit is not None:
            assert rows(admin, f, f"stays:{s.id}:over") == s.over_limit
    assert rows(admin, f, "open") == timing.velocity.open.n
    _ctx, losses = losses_report(user=admin, filters=f)
    for reason, amount in losses.by_reason.items():
        assert rows(admin, f, f"lostreason:{reason}") == amount.n
    _ctx, dyn = dynamics_report(user=admin, filters=f, granularity="week")
    for p in dyn.points:
        assert rows(admin, f, f"new:{p.start}:{p.end}") == p.new.n
        assert rows(admin, f, f"wonin:{p.start}:{p.end}") == p.won.n


def test_manager_never_sees_other_deals_in_a_list(manager, manager2, history):
    f = filters(history, COHORT, owner_id=manager2.pk)
    assert rows(manager, f, "requests") == 0
    f = filters(history, FLOW)
    titles = set(drill(user=manager, ctx=context(manager, f), cell="won").queryset
                 .values_list("deal__title", flat=True))
    assert titles == {"A"}


@pytest.mark.parametrize("limit", [1, 24, 48, 71, 72, 73, 96, 100, 168, 2159, 2160, 2170,
                                   2184, 3000])
def test_over_limit_threshold_is_exact(limit):
    assert over_limit_after(limit) == limit * 3600 + 1
    # The buckets answer it where the limit is on a bucket edge; the log answers the rest.
    s = bucket_threshold(limit)
    assert stay_bucket(s) > limit >= stay_bucket(s - 1)
    assert limit_fits_buckets(limit) == (limit <= 72 or (limit <= 2160 and limit % 24 == 0)
                                         or limit % 168 == 0)


def test_bad_cell_is_a_clear_error(admin, history):
    from voronka.core.errors import ValidationError

    f = filters(history, COHORT)
    for cell in ("", "reached:x", "reached:999999", "lost:abc", "new:2025-01-01", "nonsense"):
        with pytest.raises(ValidationError) as exc:
            drill(user=admin, ctx=context(admin, f), cell=cell)
        assert "cell" in exc.value.errors
