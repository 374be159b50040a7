"""Ratios never divide by a count that is not positive ("—" instead of a 500), and the
reviewer's case — wins of January reopened in February — renders and exports."""

import csv
import datetime
import io
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from tests.factories import make_deal, plain_pipeline
from voronka.analytics.losses import Losses
from voronka.analytics.query import FLOW, Amount, Filters, ratio
from voronka.analytics.templatetags.analytics_tags import share
from voronka.analytics.timing import timing_report, velocity
from voronka.deals import services

MSK = ZoneInfo("Europe/Moscow")


def at(month, day):
    return datetime.datetime(2025, month, day, 12, tzinfo=MSK)


@pytest.mark.parametrize("den", [0, -1, -7])
def test_ratio_of_a_count_that_is_not_positive_is_none(den):
    assert ratio(1, den) is None and ratio(-1, den) is None and share(ratio(3, den)) == "—"
    assert ratio(1, 4) == 0.25


@pytest.mark.parametrize("won, lost", [((-1, -10000), 1), ((1, 30000), -1), ((0, 0), 0),
                                       ((-2, -20000), 0)])
def test_velocity_never_divides_by_a_count_that_is_not_positive(won, lost):
    """Counts that cannot come from the rollups any more (they never go negative now), but a
    quotient must not be able to raise: every one of them is "—"."""
    cycles = {("cycle", 0, 10): [1, 10 * 86400]} if won[0] > 0 else {}
    v = velocity({("won",): list(won), ("lost",): [lost, 0]}, {(): [2, 70000]}, cycles)
    assert v.win_rate is None and v.per_day is None
    if won[0] <= 0:
        assert v.average_won_budget is None
    assert v.closed == won[0] + lost


def test_velocity_figures():
    v = velocity({("won",): [1, 30000], ("lost",): [1, 40000]}, {(): [2, 20000]},
                 {("cycle", 0, 31): [1, 31 * 86400], ("stay", 5, 24): [3, 3 * 86400]})
    # 2 open × 300.00 won ÷ 2 closed ÷ 31 days = 9.677… → 9.68
    assert (v.win_rate, v.average_won_budget, v.average_cycle_days, v.per_day) == (
        0.5, Decimal("300.00"), Decimal("31.00"), Decimal("9.68"))


def test_loss_share_of_no_losses_is_none():
    losses = Losses([], [], [], {5: Amount(1, Decimal("1.00"))}, Amount(0, Decimal("0")))
    assert losses.share(5) is None


@pytest.fixture
def reviewer_case(team, manager, admin, settings):
    """Two deals won in January and reopened in February; one won in February; one lost in
    February. Old rules: February's wins were −2 + 1 = −1 of −1 + 1 = 0 closed → a 500."""
    settings.TIME_ZONE = "Europe/Moscow"
    p = plain_pipeline(team, 3, reasons=["Дорого"])
    (expensive,) = list(p.loss_reasons.all())
    a, b = (make_deal(p, manager, budget=100, created_at=at(1, 10)) for _ in range(2))
    c = make_deal(p, manager, budget=300, created_at=at(1, 10))
    d = make_deal(p, manager, budget=400, created_at=at(1, 10))
    for deal in (a, b):
        services.deal_win(deal=deal, actor=manager, at=at(1, 20))
    for deal in (a, b):
        services.deal_reopen(deal=deal, actor=admin, at=at(2, 5))
    services.deal_win(deal=c, actor=manager, at=at(2, 10))
    services.deal_archive(deal=d, actor=manager, reason=expensive, at=at(2, 12))
    return p


FEB = "from=2025-02-01&to=2025-02-28&mode=flow"


def test_reviewer_case_figures(reviewer_case, admin):
    f = Filters(reviewer_case.pk, datetime.date(2025, 2, 1), datetime.date(2025, 2, 28), FLOW)
    v = timing_report(user=admin, filters=f)[1].velocity
    # February: C won (300, created 10.01 → 31 days), D lost; A and B are open again.
    assert (v.won, v.lost, v.closed, v.win_rate) == (Amount(1, Decimal("300.00")), 1, 2, 0.5)
    assert (v.open.n, v.average_cycle_days, v.per_day) == (2, Decimal("31.00"), Decimal("9.68"))
    jan = Filters(reviewer_case.pk, datetime.date(2025, 1, 1), datetime.date(2025, 1, 31), FLOW)
    v = timing_report(user=admin, filters=jan)[1].velocity
    assert (v.won, v.lost, v.win_rate, v.per_day) == (Amount(), 0, None, None)
    call_command("analytics_verify")


def _win_rate_line(html: str) -> str:
    """The text of the win-rate figure: "50% 1 of 2"."""
    start = html.index('title="Won deals of the closed ones')
    return re.sub(r"<[^>]+>|\s+", " ", html[start:html.index("</li>", start)]).split(">", 1)[1]


@pytest.mark.parametrize("url", ["/reports/time/?", "/reports/time/export.csv?",
                                 "/reports/time/export.xlsx?", "/reports/funnel/?",
                                 "/reports/dynamics/?", "/reports/managers/?",
                                 "/reports/losses/?"])
def test_reviewer_case_pages_render(url, reviewer_case, client, admin):
    client.force_login(admin)
    response = client.get(f"{url}pipeline={reviewer_case.pk}&{FEB}")
    assert response.status_code == 200
    if url == "/reports/time/?":
        html = response.content.decode()
        assert _win_rate_line(html).split() == ["1", "of", "2"]
        assert "<strong>50%</strong>" in html
    if url.endswith("csv?"):
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        figures: dict[str, str] = {}
        for row in rows:  # the velocity table (the definitions, later, reuse the names)
            if len(row) == 2:
                figures.setdefault(row[0], row[1])
        assert (figures["Won"], figures["Lost"], figures["Win rate"]) == ("1", "1", "0.5000")
        assert figures["Pipeline velocity, per day"] == "9.68"


def test_an_empty_january_renders_dashes(reviewer_case, client, admin):
    """January: both wins were reopened; nothing closed stands — "—", not −100 % or a 500."""
    client.force_login(admin)
    response = client.get(f"/reports/time/?pipeline={reviewer_case.pk}"
                          f"&from=2025-01-01&to=2025-01-31&mode=flow")
    assert response.status_code == 200
    html = response.content.decode()
    assert _win_rate_line(html).split() == ["0", "of", "0"]
    assert "<strong>—</strong>" in html
