"""Managers, shapes, losses and dynamics against the hand-worked history."""

import datetime
from decimal import Decimal

import pytest

from voronka.activities.models import Call
from voronka.analytics import shapes
from voronka.analytics.dynamics import dynamics_report
from voronka.analytics.losses import losses_report
from voronka.analytics.managers import managers_report
from voronka.analytics.query import COHORT, FLOW, Amount, Filters

from .conftest import at

JAN1, FEB28 = datetime.date(2025, 1, 1), datetime.date(2025, 2, 28)


def filters(history, mode=COHORT, **kw):
    return Filters(pipeline_id=history["pipeline"].pk, date_from=kw.pop("date_from", JAN1),
                   date_to=kw.pop("date_to", FEB28), mode=mode, **kw)


def A(n, budget):  # noqa: N802
    return Amount(n, Decimal(budget).quantize(Decimal("0.01")))


@pytest.mark.parametrize(("widths", "shape"), [
    ([10, 8, 6, 4, 2], shapes.TRAPEZOID), ([5, 5, 5, 5, 4], shapes.PIPE),
    ([3, 8, 9, 7, 2], shapes.BARREL), ([2, 3, 5, 8, 10], shapes.SKIRT),
    ([10, 3, 1, 4, 8], shapes.GUITAR), ([0, 0, 0], None), ([], None),
    ([10, 6, 7, 3, 1], shapes.TRAPEZOID),  # a bump below the tolerance is no barrel
    ([4, 9], shapes.SKIRT), ([9, 4], shapes.TRAPEZOID), ([5, 0, 5], shapes.GUITAR),
    ([0, 5, 0], shapes.BARREL), ([1, 2, 1], None),  # four deals: too few to have a shape
])
def test_shape_rule(widths, shape):
    assert shapes.classify(widths) == shape


def test_shape_templates_classify_as_themselves():
    for code, widths in shapes.TEMPLATES.items():
        assert shapes.classify(widths) == code


def test_picture_is_centred_and_proportional():
    bars = shapes.picture([10, 5, 0], width=60, height=30)
    assert [b.width for b in bars] == [60, 30, 1.0]
    assert bars[1].x == 15 and bars[0].x == 0


def test_managers(admin, manager, manager2, history):
    Call.objects.create(direction="outbound", phone="+79990000000", user=manager,
                        started_at=at("10.01"), duration_seconds=150)
    Call.objects.create(direction="inbound", phone="+79990000000", user=manager,
                        started_at=at("11.02"), duration_seconds=30)
    Call.objects.create(direction="inbound", phone="+79990000000", user=manager,
                        started_at=at("01.03"), duration_seconds=600)  # after the period
    _ctx, report = managers_report(user=admin, filters=filters(history))
    rows = {r.user_id: r for r in report.rows}
    one, two = rows[manager.pk], rows[manager2.pk]
    assert [s.reached.n for s in one.funnel.stages] == [4, 4, 3, 1, 1]
    assert [s.reached.n for s in two.funnel.stages] == [1, 1, 1, 1, 1]
    assert one.funnel.conversion == 1 / 4 and two.funnel.conversion == 1.0
    # Open now: manager has D on stage 2 and C on stage 3; manager2 nothing open.
    assert [a.n for a in one.open_now] == [0, 1, 1, 0, 0]
    assert one.shape is None and two.shape is None  # two open deals: too few for a shape
    assert (one.call_minutes, one.calls) == (Decimal("3.0"), 2)
    assert two.call_minutes == Decimal("0.0")
    assert report.rows[0].user_id == manager.pk  # more requests first
    _ctx, mine = managers_report(user=manager, filters=filters(history))
    assert [r.user_id for r in mine.rows] == [manager.pk]


def test_losses_cohort_and_flow(admin, manager, history):
    expensive, rival = history["expensive"].pk, history["rival"].pk
    _ctx, cohort = losses_report(user=admin, filters=filters(history))
    assert cohort.total == A(1, 200)  # B; D was reopened, F is not in the cohort
    assert [line.total.n for line in cohort.by_stage] == [0, 0, 1, 0, 0]
    assert cohort.by_reason == {expensive: A(1, 200)}
    _ctx, flow = losses_report(user=admin, filters=filters(history, FLOW))
    # D's loss (2 Feb) was taken back by its reopening (10 Feb), within the period.
    assert flow.total == A(2, 800)
    assert flow.by_reason == {expensive: A(2, 800)}
    assert [line.by_reason for line in flow.by_stage] == [
        {}, {expensive: A(1, 600)}, {expensive: A(1, 200)}, {}, {}]
    managers = {line.key: line for line in flow.by_manager}
    assert managers[manager.pk].by_reason == {expensive: A(1, 200)}
    assert flow.share(expensive) == 1
    assert [name for _r, name in flow.reasons] == ["Дорого"] and rival not in flow.by_reason
    # February alone: D lost and reopened in it, nothing stands.
    _ctx, feb = losses_report(user=admin, filters=filters(
        history, FLOW, date_from=datetime.date(2025, 2, 1), date_to=datetime.date(2025, 2, 28)))
    assert feb.total == A(0, 0)


def test_dynamics(admin, history):
    _ctx, by_month = dynamics_report(user=admin, filters=filters(
        history, date_to=datetime.date(2025, 3, 31)), granularity="month")
    assert [(p.start.month, p.new.n, p.won.n) for p in by_month.points] == [
        (1, 3, 1), (2, 2, 0), (3, 0, 1)]
    assert by_month.points[0].new == A(3, 600) and by_month.points[2].won == A(1, 500)
    _ctx, by_week = dynamics_report(user=admin, filters=filters(
        history, date_from=datetime.date(2025, 1, 13), date_to=datetime.date(2025, 1, 26)),
        granularity="week")
    # Weeks from Monday 13.01: B (15.01) created; then C (20.01) created and A (20.01) won.
    assert [(p.start.day, p.new.n, p.won.n) for p in by_week.points] == [(13, 1, 0),
                                                                         (20, 1, 1)]
    _ctx, by_day = dynamics_report(user=admin, filters=filters(
        history, date_from=datetime.date(2025, 1, 30), date_to=datetime.date(2025, 2, 2)),
        granularity="day")
    assert [(p.start.day, p.new.n) for p in by_day.points] == [(30, 0), (31, 0), (1, 1),
                                                               (2, 0)]
    assert by_day.new == A(1, 400)


def test_manager_shape_from_open_deals(admin, manager2, team):
    from tests.factories import make_deal, plain_pipeline
    from voronka.deals.services import deal_move

    pipeline = plain_pipeline(team, 5, name="Формы")
    stages = list(pipeline.stages.order_by("position"))
    # manager2: 1 deal on stage 1, 1 on stage 2, 4 on stage 3, 1 on stage 4, 1 on stage 5.
    for target, n in ((0, 1), (1, 1), (2, 4), (3, 1), (4, 1)):
        for _ in range(n):
            deal = make_deal(pipeline, manager2)
            if target:
                deal_move(deal=deal, to_stage=stages[target], actor=manager2)
    f = Filters(pipeline_id=pipeline.pk, date_from=datetime.date(2000, 1, 1),
                date_to=datetime.date(2100, 12, 31))
    _ctx, report = managers_report(user=admin, filters=f)
    (row,) = report.rows
    assert [a.n for a in row.open_now] == [1, 1, 4, 1, 1]
    assert row.shape == shapes.BARREL
    assert [b.width for b in row.picture] == [15.0, 15.0, 60.0, 15.0, 15.0]
