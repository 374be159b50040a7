"""The deals list's stage, reached-stage, closing-date and "closed" filters: the selector, the
page (kept in the URL), the CSV export and the API, scoped to what the reader may see."""

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from voronka.deals.moves import deal_archive, deal_correct, deal_move, deal_win
from voronka.deals.selectors import deal_list

from ..api.conftest import Api
from ..factories import make_deal, plain_pipeline
from .conftest import login

DEAL_LINK = re.compile(r'href="/deals/(\d+)/"')
MARCH = timezone.make_aware(datetime.datetime(2024, 3, 10, 12, 0))


@pytest.fixture
def world(team, other_team, manager, manager2, admin, head):
    p = plain_pipeline(team, 4, name="Four")
    s1, s2, s3, s4 = p.stages.order_by("position")
    d = {"d1": make_deal(p, manager, title="d1")}
    d["d2"] = make_deal(p, manager, title="d2")
    deal_move(deal=d["d2"], to_stage=s2, actor=manager)
    # Moved on to the third stage by mistake and corrected back: on 2, reached 3.
    d["d3"] = make_deal(p, manager, title="d3")
    deal_move(deal=d["d3"], to_stage=s3, actor=manager)
    deal_correct(deal=d["d3"], to_stage=s2, actor=admin, reason="ошибка")
    d["d4"] = make_deal(p, manager, title="d4")
    deal_move(deal=d["d4"], to_stage=s4, actor=manager)
    deal_win(deal=d["d4"], actor=manager)
    d["d5"] = make_deal(p, manager, title="d5", created_at=MARCH - datetime.timedelta(days=9))
    deal_move(deal=d["d5"], to_stage=s2, actor=manager, at=MARCH - datetime.timedelta(days=5))
    deal_archive(deal=d["d5"], actor=manager, reason=p.loss_reasons.first(), at=MARCH)
    d["d6"] = make_deal(p, manager2, title="d6")
    deal_move(deal=d["d6"], to_stage=s3, actor=manager2)
    foreign = plain_pipeline(other_team, 2, name="Foreign")
    return p, (s1, s2, s3, s4), {k: v.pk for k, v in d.items()}, foreign


def ids(qs) -> set[int]:
    return set(qs.values_list("pk", flat=True))


def test_selector_filters(world, head, manager, manager2):
    p, (s1, s2, s3, s4), d, foreign = world
    sel = lambda user=head, **kw: ids(deal_list(user=user, pipeline_id=p.pk, **kw))  # noqa: E731
    assert sel(stage_id=s2.pk) == {d["d2"], d["d3"], d["d5"]}
    assert sel(stage_id=s2.pk, onwards=True) == {d["d2"], d["d3"], d["d4"], d["d5"], d["d6"]}
    assert sel(stage_id=s2.pk, onwards=True, status="open") == {d["d2"], d["d3"], d["d6"]}
    assert sel(stage_id=s4.pk, onwards=True) == {d["d4"]}
    assert sel(reached_stage_id=s3.pk) == {d["d3"], d["d4"], d["d6"]}
    assert sel(reached_stage_id=s1.pk) == set(d.values())
    assert sel(status="closed") == {d["d4"], d["d5"]}
    # Days are whole local days, both ends in; moments are instants, the end excluded.
    assert sel(closed_from=MARCH.date(), closed_to=MARCH.date()) == {d["d5"]}
    assert sel(closed_from=MARCH) == {d["d4"], d["d5"]}
    assert sel(closed_from=MARCH + datetime.timedelta(seconds=1)) == {d["d4"]}
    assert sel(closed_to=MARCH) == set()
    assert sel(closed_to=MARCH + datetime.timedelta(seconds=1)) == {d["d5"]}
    # Another team's stage, or none at all: nothing (never an error).
    other_stage = foreign.stages.first()
    assert ids(deal_list(user=head, stage_id=other_stage.pk, onwards=True)) == set()
    assert ids(deal_list(user=head, reached_stage_id=10**9)) == set()
    assert ids(deal_list(user=head, stage_id=10**9, onwards=True)) == set()
    # Visibility first: a manager sees their own only.
    assert sel(user=manager, stage_id=s3.pk, onwards=True) == {d["d4"]}
    assert sel(user=manager2, reached_stage_id=s3.pk) == {d["d6"]}


def listed(client, params) -> set[int]:
    response = client.get(reverse("web:deal_list"), params)
    assert response.status_code == 200
    return {int(x) for x in DEAL_LINK.findall(response.content.decode())}


def test_page_keeps_the_filters_in_the_url_and_the_export_honours_them(world, head, manager):
    p, (s1, s2, s3, s4), d, foreign = world
    client = login(head)
    params = {"pipeline": p.pk, "status": "open", "stage": s2.pk, "onwards": "1"}
    response = client.get(reverse("web:deal_list"), params)
    html = response.content.decode()
    assert {int(x) for x in DEAL_LINK.findall(html)} == {d["d2"], d["d3"], d["d6"]}
    assert f'<option value="{s2.pk}" selected>' in html
    assert 'name="onwards" value="1" checked' in html
    export_href = re.search(r'href="(/deals/export\.csv\?[^"]*)"', html).group(1)
    assert f"stage={s2.pk}" in export_href and "onwards=1" in export_href
    # Sorting links keep the filters too.
    thead = html.split("<thead>")[1].split("</thead>")[0]
    assert f"stage={s2.pk}" in thead and "onwards=1" in thead
    export = client.get(reverse("web:deal_export"), params)
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert {int(r[0]) for r in rows[1:]} == {d["d2"], d["d3"], d["d6"]}
    assert listed(client, {"pipeline": p.pk, "status": "all", "reached": s3.pk}) == {
        d["d3"], d["d4"], d["d6"]}
    assert listed(client, {"status": "closed"}) == {d["d4"], d["d5"]}
    assert listed(client, {"status": "all", "closed_from": "2024-03-10",
                           "closed_to": "2024-03-10"}) == {d["d5"]}
    assert listed(client, {"status": "all", "closed_to": MARCH.isoformat()}) == set()
    assert listed(client, {"status": "all", "closed_from": "garbage", "stage": "x"}) == set(
        d.values())
    # The second user: the same URL lists their own deals only; another team's stage nothing.
    mine = login(manager)
    assert listed(mine, params) == {d["d2"], d["d3"]}
    assert listed(mine, {"status": "all", "stage": foreign.stages.first().pk}) == set()


def test_api_shares_the_filters(world, manager, head):
    p, (s1, s2, s3, s4), d, foreign = world

    def titles(api, **params) -> set[int]:
        r = api.get("/deals", {"limit": 500, **params})
        assert r.status_code == 200, r.content
        return {item["id"] for item in r.json()["items"]}

    api = Api(head)
    assert titles(api, stage_id=s2.pk) == {d["d2"], d["d3"], d["d5"]}
    assert titles(api, stage_id=s2.pk, onwards="true", status="open") == {
        d["d2"], d["d3"], d["d6"]}
    assert titles(api, reached_stage_id=s3.pk) == {d["d3"], d["d4"], d["d6"]}
    assert titles(api, status="closed") == {d["d4"], d["d5"]}
    assert titles(api, closed_from="2024-03-10", closed_to="2024-03-10") == {d["d5"]}
    own = Api(manager)
    assert titles(own, reached_stage_id=s3.pk) == {d["d3"], d["d4"]}
    assert titles(own, stage_id=foreign.stages.first().pk) == set()
    assert own.get("/deals", {"stage_id": "x"}).status_code == 422
