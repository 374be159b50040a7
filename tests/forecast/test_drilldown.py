"""Every figure of the forecast screens that counts deals opens exactly those deals."""

import html as htmllib
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from voronka.deals.models import Deal
from voronka.deals.services import deal_create, deal_move, deal_win
from voronka.forecast import learned
from voronka.forecast.links import model_links, prospect_links
from voronka.forecast.plans import plan_set
from voronka.forecast.selectors import build_prospect, team_lines
from voronka.pipelines.services import pipeline_create

from ..factories import UserFactory

DEAL_LINK = re.compile(r'href="/deals/(\d+)/"')


def listed(client, url: str) -> set[int]:
    """The deals a list page shows (one page: the fixtures are small)."""
    response = client.get(htmllib.unescape(url))
    assert response.status_code == 200, url
    return {int(x) for x in DEAL_LINK.findall(response.content.decode())}


@pytest.fixture
def world(plain, seller, manager, head, team, history_fn, settings):
    settings.VORONKA_FORECAST_MIN_CLOSED = 6
    # seller: 4 won through every stage, 4 lost on the first, created 60 days ago.
    history_fn(plain, seller, won=4, lost_first=4)
    # manager: 1 won, 1 lost — too few: the team's figures stand in.
    history_fn(plain, manager, won=1, lost_first=1, budget=Decimal("300000"))
    s1, s2, s3 = plain.stages.order_by("position")
    deals = {}
    for name, owner, stage in (("a1", seller, s1), ("a2", seller, s2), ("a3", seller, s3),
                               ("m2", manager, s2)):
        deal = deal_create(actor=owner, pipeline=plain, owner=owner, title=name,
                           budget=Decimal("10000"))
        for later in (s2, s3):
            if later.position <= stage.position:
                deal_move(deal=deal, to_stage=later, actor=owner)
        deals[name] = deal.pk
    won = deal_create(actor=seller, pipeline=plain, owner=seller, title="won today",
                      budget=Decimal("50000"))
    deal_move(deal=won, to_stage=s2, actor=seller)
    deal_move(deal=won, to_stage=s3, actor=seller)
    deal_win(deal=won, actor=seller)
    deals["won"] = won.pk
    # Another pipeline of the team: never counted, never listed.
    other = pipeline_create(actor=None, team=team, name="Other", stages=[
        {"name": "Один", "goal": "Готово"}], loss_reasons=["Дорого"])
    deal_create(actor=seller, pipeline=other, owner=seller, title="elsewhere")
    plan_set(actor=head, team=team, user=seller, month=timezone.localdate(),
             revenue=Decimal("1000000"), wins=0)
    plan_set(actor=head, team=team, month=timezone.localdate(), revenue=Decimal("2000000"),
             wins=0)
    return plain, (s1, s2, s3), deals


def history_ids(pipeline, owner, **kw) -> set[int]:
    return set(Deal.objects.filter(pipeline=pipeline, owner=owner, title__startswith="H", **kw)
               .values_list("pk", flat=True))


def test_seller_figures_open_their_deals(client, world, seller, head):
    plain, (s1, s2, s3), d = world
    p = build_prospect(plain, seller)
    links = prospect_links(p)
    client.force_login(head)
    page = client.get(f"/forecast/?pipeline={plain.pk}&manager={seller.pk}").content.decode()
    for url in [links.won, links.open, links.closed, links.form_won, *links.reached.values(),
                *links.now.values()]:
        assert url.replace("&", "&amp;") in page
    assert "/board/" not in page  # "there now" is the list of those deals, not the board

    # There now: open deals on the stage or a later one (hand-computed from the fixture).
    expected_now = [{d["a1"], d["a2"], d["a3"]}, {d["a2"], d["a3"]}, {d["a3"]}]
    for stage, expected, req in zip((s1, s2, s3), expected_now, p.required.stages,
                                    strict=True):
        assert listed(client, links.now[stage.id]) == expected
        assert req.now.n == len(expected)
    assert listed(client, links.open) == {d["a1"], d["a2"], d["a3"]} and p.open.n == 3

    # Won since the first of the month: the one won today.
    assert listed(client, links.won) == {d["won"]} and p.won.n == 1

    # The form (own: 9 closed deals in the window, the 8 of the history and today's win).
    assert p.form.own and p.form.closed == 9
    won_history = history_ids(plain, seller, status="won")
    assert listed(client, links.closed) == history_ids(plain, seller) | {d["won"]}
    assert listed(client, links.form_won) == won_history | {d["won"]}
    everyone = history_ids(plain, seller) | {d["a1"], d["a2"], d["a3"], d["won"]}
    expected_reached = [everyone,
                        won_history | {d["a2"], d["a3"], d["won"]},
                        won_history | {d["a3"], d["won"]}]
    for stage, expected, fs in zip((s1, s2, s3), expected_reached, p.form.stages, strict=True):
        assert listed(client, links.reached[stage.id]) == expected
        assert fs.reached.n == len(expected)


def test_fallback_form_and_team_figures_open_team_deals(client, world, manager, seller, head,
                                                         team):
    plain, (s1, s2, s3), d = world
    client.force_login(head)
    # The manager's form borrows the team's rates, but its counts are the manager's own and
    # open the manager's own deals (a manager must not see the team's through their form).
    p = build_prospect(plain, manager)
    links = prospect_links(p)
    assert not p.form.own
    own_reached = history_ids(plain, manager) | {d["m2"]}
    assert listed(client, links.reached[s1.id]) == own_reached
    assert p.form.stages[0].reached.n == len(own_reached) == 3
    # The average won budget is the team's: its link lists the team's wins (for the head).
    team_won = history_ids(plain, seller, status="won") | history_ids(
        plain, manager, status="won") | {d["won"]}
    assert listed(client, links.form_won) == team_won
    assert listed(client, links.closed) == history_ids(plain, manager)  # own closed: 2
    assert p.form.closed == 2
    assert listed(client, links.now[s2.id]) == {d["m2"]}

    # The whole team.
    t = build_prospect(plain, None)
    tl = prospect_links(t)
    assert listed(client, tl.now[s2.id]) == {d["a2"], d["a3"], d["m2"]}
    assert [s.now.n for s in t.required.stages] == [4, 3, 1]
    assert listed(client, tl.won) == {d["won"]}
    assert listed(client, tl.open) == {d["a1"], d["a2"], d["a3"], d["m2"]}


def test_team_screen_lines_link_to_each_managers_deals(client, world, seller, head):
    plain, (s1, s2, s3), d = world
    client.force_login(head)
    page = client.get(f"/forecast/?pipeline={plain.pk}", HTTP_ACCEPT_LANGUAGE="en")
    lines = {ll.line.owner.pk: ll for ll in page.context["lines"]}
    mine = lines[seller.pk]
    assert listed(client, mine.won) == {d["won"]}
    assert listed(client, mine.open) == {d["a1"], d["a2"], d["a3"]}
    risky = dict(mine.short)
    assert risky  # a plan of a million against a few thousand on every stage
    line = next(x for x in team_lines(plain) if x.owner == seller)
    for (_sid, name), (link_name, url) in zip(line.short, mine.short, strict=True):
        assert name == link_name
        assert url.replace("&", "&amp;") in page.content.decode()
    first_risky = line.short[0][0]
    on_or_after = {s1.id: {"a1", "a2", "a3"}, s2.id: {"a2", "a3"}, s3.id: {"a3"}}[first_risky]
    assert listed(client, mine.short[0][1]) == {d[k] for k in on_or_after}


def test_a_manager_following_anothers_link_sees_nothing(client, world, seller, manager):
    plain, (s1, s2, s3), d = world
    links = prospect_links(build_prospect(plain, seller))
    client.force_login(manager)
    assert listed(client, links.now[s1.id]) == set()
    assert listed(client, links.open) == set()
    assert listed(client, links.closed) == set()
    won = client.get(links.won)  # the report form refuses a manager it does not offer
    assert won.status_code == 400 or d["won"] not in DEAL_LINK.findall(won.content.decode())
    # The team's list, opened by a manager: only their own deal.
    team_links = prospect_links(build_prospect(plain, None))
    assert listed(client, team_links.now[s2.id]) == {d["m2"]}


def test_every_figure_has_a_hover_in_both_languages(client, world, seller, head):
    plain = world[0]
    client.force_login(head)
    for lang in ("en", "ru"):
        for url in (f"/forecast/?pipeline={plain.pk}&manager={seller.pk}",
                    f"/forecast/?pipeline={plain.pk}"):
            page = client.get(url, HTTP_ACCEPT_LANGUAGE=lang).content.decode()
            # Every header cell of the tables explains itself (the first is the row label).
            for head_row in re.findall(r"<thead><tr>(.*?)</tr></thead>", page, re.S):
                cells = [a for a, text in re.findall(r"<th([^>]*)>(.*?)</th>", head_row, re.S)
                         if text.strip()]
                assert all("title=" in c for c in cells[1:]), (lang, cells)
            for stats in re.findall(r'<ul class="stats">(.*?)</ul>', page, re.S):
                for item in re.findall(r"<li([^>]*)>", stats):
                    assert "title=" in item, (lang, item)
        if lang == "ru":
            assert "Открытые сделки на этом этапе или дальше" in page


def test_model_screen_counts_open_the_training_and_hold_out_deals(client, plain, seller,
                                                                  manager, head, history_fn):
    history_fn(plain, seller, won=12, lost_first=14)
    history_fn(plain, manager, won=8, lost_first=10, days_ago=30, budget=Decimal("50000"))
    result = learned.train(plain)
    assert result.reason == "ok"
    model = result.model
    links = model_links(model)
    client.force_login(head)
    page = client.get(f"/forecast/model/?pipeline={plain.pk}").content.decode()
    assert links["train"].replace("&", "&amp;") in page
    closed = list(Deal.objects.filter(pipeline=plain).exclude(status="open")
                  .order_by("closed_at", "id").values_list("pk", flat=True))
    cut = model.metrics["train"]
    assert listed(client, links["train"]) == set(closed[:cut])
    # The list pages by 50: the hold-out is smaller.
    assert listed(client, links["test"]) == set(closed[cut:])
    assert len(closed[cut:]) == model.metrics["test"]
    # A manager sees only their own of them.
    client.force_login(seller)
    assert listed(client, links["test"]) == set(closed[cut:]) & set(
        Deal.objects.filter(owner=seller).values_list("pk", flat=True))


def test_second_head_gets_nothing(client, world, other_head):
    plain, (s1, _s2, _s3), _d = world
    client.force_login(other_head)
    page = client.get(f"/forecast/?pipeline={plain.pk}")  # falls back to their own (none)
    assert page.status_code == 200 and "Plain" not in page.content.decode()
    outsider = UserFactory(team=other_head.team, email="x@example.com")
    client.force_login(outsider)
    assert listed(client, f"/deals/?pipeline={plain.pk}&stage={s1.id}&onwards=1") == set()
