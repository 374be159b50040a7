"""Every role's reports count exactly the deals deal_scope_q lets it see — including a deal
owned by a member of one team in another team's pipeline."""

import datetime

import pytest

from tests.factories import make_deal, plain_pipeline
from voronka.analytics.funnel import funnel_report
from voronka.analytics.query import COHORT, Filters
from voronka.analytics.selectors import report_pipelines
from voronka.deals.models import Deal
from voronka.deals.visibility import deal_scope_q

ROLES = ["admin", "head", "manager", "manager2", "marketer", "other_head", "other_manager"]


@pytest.fixture
def two_pipelines(team, other_team, manager, manager2, other_manager):
    ours = plain_pipeline(team, 4, name="Наша")
    theirs = plain_pipeline(other_team, 4, name="Чужая")
    for owner, n in ((manager, 3), (manager2, 2)):
        for _ in range(n):
            make_deal(ours, owner, budget=100)
    make_deal(theirs, other_manager, budget=10)
    # A member of our team owns a deal in the other team's pipeline (created by the system).
    from voronka.deals.services import deal_create

    deal_create(actor=None, pipeline=theirs, owner=manager, title="Перекрёстная", budget=7)
    return ours, theirs


@pytest.mark.parametrize("who", ROLES)
def test_reports_count_what_the_role_sees(who, request, two_pipelines):
    user = request.getfixturevalue(who)
    offered = set(report_pipelines(user=user))
    for pipeline in two_pipelines:
        seen = Deal.objects.filter(deal_scope_q(user), pipeline=pipeline)
        f = Filters(pipeline_id=pipeline.pk, date_from=datetime.date(2000, 1, 1),
                    date_to=datetime.date(2100, 1, 1), mode=COHORT)
        _ctx, funnel = funnel_report(user=user, filters=f)
        assert funnel.requests.n == seen.count(), (who, pipeline.name)
        assert sum(d.budget for d in seen) == funnel.requests.budget
        if seen.exists():
            assert pipeline in offered, (who, pipeline.name)
