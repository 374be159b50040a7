"""Won this month (voronka.forecast.selectors.won_this_month): each deal once, and only while
its win stands — a reopening takes the win back."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from voronka.analytics.query import Amount
from voronka.deals.services import (
    deal_create,
    deal_move,
    deal_reopen,
    deal_update,
    deal_win,
)
from voronka.forecast.links import prospect_links
from voronka.forecast.plans import plan_set
from voronka.forecast.selectors import build_prospect

from .test_drilldown import listed


@pytest.fixture
def month(plain, seller, head, team):
    """A plan of 300 000 for the seller this month."""
    plan_set(actor=head, team=team, user=seller, month=timezone.localdate(),
             revenue=Decimal("300000"))
    return plain


def _deal(pipeline, owner, budget="100000", created=None):
    deal = deal_create(actor=owner, pipeline=pipeline, owner=owner, title="D", budget=budget,
                       created_at=created)
    for stage in list(pipeline.stages.order_by("position"))[1:]:
        deal_move(deal=deal, to_stage=stage, actor=owner, at=created)
    return deal


def test_won_then_reopened_is_not_won(month, seller, head, client):
    deal = _deal(month, seller)
    deal_win(deal=deal, actor=seller)
    deal_reopen(deal=deal, actor=head)
    p = build_prospect(month, seller, runs=200, seed=3)
    # It is open again: in the pipeline (and the simulation), not in what is won.
    assert p.won == Amount()
    assert p.open == Amount(1, Decimal("100000.00"))
    assert p.required.revenue_left == Decimal("300000.00")
    assert [d.deal_id for d in p.deals] == [deal.pk]
    client.force_login(head)
    assert listed(client, prospect_links(p).won) == set()


def test_won_reopened_and_won_again_counts_once(month, seller, head, client):
    deal = _deal(month, seller)
    other = _deal(month, seller, budget="50000")
    deal_win(deal=deal, actor=seller)
    deal_reopen(deal=deal, actor=head)
    deal_win(deal=deal, actor=seller)
    deal_win(deal=other, actor=seller)
    p = build_prospect(month, seller)
    assert p.won == Amount(2, Decimal("150000.00"))  # not 3 wins for 250 000
    assert p.required.revenue_left == Decimal("150000.00")
    client.force_login(head)
    assert listed(client, prospect_links(p).won) == {deal.pk, other.pk}


def test_a_win_of_last_month_reopened_now_takes_nothing_off_this_month(month, seller, head):
    first = timezone.localdate().replace(day=1)
    before = timezone.make_aware(datetime.datetime.combine(
        first - datetime.timedelta(days=5), datetime.time(12)))
    deal = _deal(month, seller, created=before - datetime.timedelta(days=2))
    deal_win(deal=deal, actor=seller, at=before)
    assert build_prospect(month, seller).won == Amount()  # won last month
    deal_reopen(deal=deal, actor=head)
    assert build_prospect(month, seller).won == Amount()  # not −1
    deal_win(deal=deal, actor=seller)  # won again this month: this month's win
    assert build_prospect(month, seller).won == Amount(1, Decimal("100000.00"))


def test_valued_at_the_budget_of_the_win(month, seller):
    deal = _deal(month, seller)
    deal_win(deal=deal, actor=seller)
    deal.refresh_from_db()
    deal_update(deal=deal, actor=seller, budget="900000")
    assert build_prospect(month, seller).won == Amount(1, Decimal("100000.00"))


def test_the_team_counts_each_members_wins_once(month, seller, manager, head):
    mine = _deal(month, seller)
    theirs = _deal(month, manager, budget="70000")
    for deal in (mine, theirs):
        deal_win(deal=deal, actor=deal.owner)
    deal_reopen(deal=theirs, actor=head)
    deal_win(deal=theirs, actor=manager)
    assert build_prospect(month, None).won == Amount(2, Decimal("170000.00"))
