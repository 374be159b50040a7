"""The funnel report against figures worked out by hand (see conftest.history)."""

import datetime
from decimal import Decimal

from voronka.analytics.funnel import funnel_report
from voronka.analytics.query import COHORT, FLOW, Amount, Filters

JAN1, FEB28 = datetime.date(2025, 1, 1), datetime.date(2025, 2, 28)


def run(user, history, mode, **kw):
    f = Filters(pipeline_id=history["pipeline"].pk, date_from=kw.pop("date_from", JAN1),
                date_to=kw.pop("date_to", FEB28), mode=mode, **kw)
    return funnel_report(user=user, filters=f)[1]


def amounts(funnel, attr):
    return [(getattr(s, attr).n, getattr(s, attr).budget) for s in funnel.stages]


def D(x):  # noqa: N802
    return Decimal(x).quantize(Decimal("0.01"))


def test_cohort_mode(admin, history):
    f = run(admin, history, COHORT)
    # Cohort A–E (F was created in December). A and E won: they reached every stage.
    assert amounts(f, "reached") == [(5, D(1500)), (5, D(1500)), (4, D(1100)), (2, D(600)),
                                     (2, D(600))]
    assert amounts(f, "now") == [(0, D(0)), (1, D(400)), (1, D(300)), (0, D(0)), (0, D(0))]
    assert f.won == Amount(2, D(600))
    assert f.requests == Amount(5, D(1500))
    assert f.conversion == 2 / 5
    # B lost at stage 3; D was lost at stage 1 but reopened, so it is not lost now.
    lost = {s.index: {r: a for r, a in s.lost_by_reason.items()} for s in f.stages if s.lost.n}
    assert lost == {2: {history["expensive"].pk: Amount(1, D(200))}}
    assert f.lost == Amount(1, D(200))
    assert [s.conversion_next for s in f.stages] == [1.0, 4 / 5, 2 / 4, 1.0, 1.0]
    assert [s.conversion_first for s in f.stages] == [1.0, 1.0, 4 / 5, 2 / 5, 2 / 5]


def test_flow_mode(admin, history):
    f = run(admin, history, FLOW)
    # First arrivals in Jan–Feb: F reached stage 2 in January (created in December);
    # B's skip reached stage 2 too; C's return to stage 3 after the correction is not new;
    # E reached stage 5 only by the win of 3 March.
    assert amounts(f, "reached") == [(5, D(1500)), (6, D(2100)), (4, D(1100)), (2, D(600)),
                                     (1, D(100))]
    assert f.won == Amount(1, D(100))
    # D's loss of 2 Feb was taken back by its reopening of 10 Feb: the two net out.
    lost = {s.index: s.lost_by_reason for s in f.stages if s.lost.n}
    assert lost == {1: {history["expensive"].pk: Amount(1, D(600))},
                    2: {history["expensive"].pk: Amount(1, D(200))}}
    # "Now" is the present, whatever the period: C on stage 3, D on stage 2.
    assert amounts(f, "now") == [(0, D(0)), (1, D(400)), (1, D(300)), (0, D(0)), (0, D(0))]
    assert f.requests == Amount(5, D(1500))
    assert f.conversion == 1 / 5
    assert f.stages[0].conversion_next == 6 / 5


def test_flow_mode_one_month(admin, history):
    f = run(admin, history, FLOW, date_from=datetime.date(2025, 3, 1),
            date_to=datetime.date(2025, 3, 31))
    assert amounts(f, "reached")[4] == (1, D(500))
    assert f.won == Amount(1, D(500))
    assert f.requests == Amount()


def test_partial_months_and_days(admin, history):
    # 16.01–03.02: cohort B, C, D (A was created 10.01, E 05.02).
    f = run(admin, history, COHORT, date_from=datetime.date(2025, 1, 16),
            date_to=datetime.date(2025, 2, 3))
    assert f.requests == Amount(2, D(700))  # C and D; B was created 15.01
    f = run(admin, history, COHORT, date_from=datetime.date(2025, 1, 15),
            date_to=datetime.date(2025, 2, 3))
    assert f.requests == Amount(3, D(900))


def test_manager_sees_own_deals_only(manager, manager2, history):
    f = run(manager, history, COHORT)
    assert amounts(f, "reached") == [(4, D(1000)), (4, D(1000)), (3, D(600)), (1, D(100)),
                                     (1, D(100))]
    assert f.won == Amount(1, D(100))
    f2 = run(manager2, history, COHORT)
    assert f2.requests == Amount(1, D(500))
    # Asking for someone else's deals gives nothing, not their numbers.
    f3 = run(manager, history, COHORT, owner_id=manager2.pk)
    assert f3.requests == Amount()


def test_filters_source_and_team(admin, head, marketer, manager, history, other_team):
    from voronka.deals.services import deal_update

    deal_update(deal=history["deals"]["A"], actor=manager, source="site")
    f = run(admin, history, COHORT, source="site")
    assert f.requests == Amount(1, D(100)) and f.won == Amount(1, D(100))
    f = run(admin, history, COHORT, source="")
    assert f.requests == Amount(4, D(1400))
    assert run(head, history, COHORT).requests == Amount(5, D(1500))
    assert run(marketer, history, COHORT).requests == Amount(5, D(1500))
    assert run(admin, history, COHORT, team_id=other_team.pk).requests == Amount()


def test_budget_and_owner_changes_follow(admin, head, manager, manager2, history):
    from voronka.deals.services import deal_update

    run(admin, history, COHORT)  # rollups now hold the history
    deal_update(deal=history["deals"]["C"], actor=head, budget="350", owner=manager2)
    f = run(admin, history, COHORT)
    assert f.requests == Amount(5, D(1550))
    assert run(manager2, history, COHORT).requests == Amount(2, D(850))
    assert run(manager, history, COHORT).requests == Amount(3, D(700))
