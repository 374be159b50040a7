"""The board: totals of all deals under the filters, paging, constant query count, and the
stage changes made from it (drag, missing-facts dialog, backward refusal, archive, win)."""

import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from voronka.activities.models import Task
from voronka.deals.board import BoardFilters, board_get
from voronka.deals.models import Deal, DealFact, Transition

from ..factories import done_task, make_deal
from .conftest import login


def _bulk_deals(pipeline, stages, owner, n: int, start: int = 0) -> None:
    """Plain rows, spread over the stages, a task on every third: the board's query count
    must not depend on them."""
    now = timezone.now()
    deals = Deal.objects.bulk_create([
        Deal(title=f"Сделка {start + i}", pipeline=pipeline, stage=stages[i % len(stages)],
             furthest_stage=stages[i % len(stages)], owner=owner, budget=Decimal(1000 + i),
             created_by=owner, stage_entered_at=now - datetime.timedelta(days=i % 30),
             source="site" if i % 2 else "referral")
        for i in range(n)])
    Task.objects.bulk_create([
        Task(deal=d, assignee=owner, text="Договориться о встрече",
             due_at=now + datetime.timedelta(days=(i % 5) - 2))
        for i, d in enumerate(deals) if i % 3 == 0])


def _board_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_board_query_count_does_not_grow_with_deals(pipeline, stages, manager):
    client = login(manager)
    url = reverse("web:board_pipeline", args=[pipeline.pk])
    _bulk_deals(pipeline, stages, manager, 10)
    client.get(url)  # warm the session and caches
    small = _board_queries(client, url)
    _bulk_deals(pipeline, stages, manager, 990, start=10)
    large = _board_queries(client, url)
    assert small == large
    filtered = _board_queries(client, url + "?q=Сделка&source=site&from=2000-01-01")
    assert filtered == large


def test_board_totals_cover_all_deals_but_show_a_page(pipeline, stages, manager, manager2):
    _bulk_deals(pipeline, stages, manager, 130)
    _bulk_deals(pipeline, stages, manager2, 7, start=500)
    board = board_get(user=manager, pipeline=pipeline, filters=BoardFilters())
    first = board.columns[0]
    assert first.count == 26 and len(first.cards) == 26
    assert board.count == 130  # manager2's deals are not the manager's to see
    assert board.budget == sum(Decimal(1000 + i) for i in range(130))
    big = board_get(user=manager, pipeline=pipeline, filters=BoardFilters(), per_column=10)
    assert big.columns[0].count == 26 and len(big.columns[0].cards) == 10
    assert big.columns[0].next_offset == 10
    only_site = board_get(user=manager, pipeline=pipeline,
                          filters=BoardFilters(source="site"))
    assert only_site.count == 65


def test_board_more_returns_the_next_page(pipeline, stages, manager):
    _bulk_deals(pipeline, stages, manager, 300)
    client = login(manager)
    response = client.get(reverse("web:board", args=[]))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<article class="card') >= 250 and "hx-trigger=\"intersect once\"" in html
    more = client.get(reverse("web:board_more", args=[pipeline.pk, stages[0].pk]),
                      {"offset": 50}, HTTP_HX_REQUEST="true")
    assert more.status_code == 200
    assert more.content.decode().count('<article class="card') == 10  # 60 deals on the stage


def test_card_marks_overdue_task_and_time_limit(pipeline, stages, manager):
    stages[0].time_limit_hours = 24
    stages[0].save()
    deal = make_deal(pipeline, manager, title="Просроченная")
    Deal.objects.filter(pk=deal.pk).update(
        stage_entered_at=timezone.now() - datetime.timedelta(days=3))
    Task.objects.create(deal=deal, assignee=manager, text="Договориться о звонке",
                        due_at=timezone.now() - datetime.timedelta(hours=2))
    html = login(manager).get(reverse("web:board")).content.decode()
    assert "card-warn" in html and "over limit" in html and "dot-danger" in html


def _hx_post(client, url, data):
    return client.post(url, data, HTTP_HX_REQUEST="true")


def test_drag_forward_with_missing_facts_opens_the_dialog_then_moves(pipeline, stages,
                                                                     manager):
    deal = make_deal(pipeline, manager, title="Стеллажи", budget="0")
    client = login(manager)
    url = reverse("web:deal_move", args=[deal.pk])
    response = _hx_post(client, url, {"to_stage": stages[1].pk, "version": deal.version,
                                      "origin": "board", "filters": ""})
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#modal"
    assert "moveRefused" in json.loads(response["HX-Trigger"])
    html = response.content.decode()
    assert 'name="budget"' in html and "Meeting" in html  # budget + the meeting fact
    deal.refresh_from_db()
    assert deal.stage_id == stages[0].pk
    # Fill the budget in the dialog; the meeting fact still blocks → the dialog again.
    response = _hx_post(client, reverse("web:deal_facts", args=[deal.pk]), {
        "to_stage": stages[1].pk, "version": deal.version, "origin": "board",
        "filters": "", "budget": "150000"})
    assert response.status_code == 200 and response["HX-Retarget"] == "#modal"
    deal.refresh_from_db()
    assert deal.budget == Decimal("150000.00") and deal.stage_id == stages[0].pk
    # Nothing filled while a fact still blocks: the dialog says so.
    response = _hx_post(client, reverse("web:deal_facts", args=[deal.pk]), {
        "to_stage": stages[1].pk, "version": deal.version, "origin": "board", "filters": ""})
    assert response.status_code == 422 and "Nothing was filled in" in response.content.decode()
    done_task(deal, manager)
    # Now the move completes; the answer updates the board in place.
    response = _hx_post(client, reverse("web:deal_facts", args=[deal.pk]), {
        "to_stage": stages[1].pk, "version": deal.version, "origin": "board", "filters": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="card-{deal.pk}" hx-swap-oob="delete"' in html
    assert f"afterbegin:#cards-{stages[1].pk}" in html and f"colhead-{stages[0].pk}" in html
    deal.refresh_from_db()
    assert deal.stage_id == stages[1].pk


def test_dialog_confirms_a_fact_and_attaches_company_and_contact(pipeline, stages, manager):
    deal = make_deal(pipeline, manager, budget="1000")
    done_task(deal, manager)
    client = login(manager)
    response = _hx_post(client, reverse("web:deal_facts", args=[deal.pk]), {
        "to_stage": stages[3].pk, "version": deal.version, "origin": "deal",
        f"confirm_{stages[1].requirements.get().pk}": "on",
        "new_company_name": "ООО «Вектор»", "new_contact_name": "Анна Смирнова",
        "new_contact_phone": "8 (916) 000-11-22", "contact_role": "decision_maker"})
    assert response.status_code == 200 and response.get("HX-Refresh") == "true"
    deal.refresh_from_db()
    assert deal.stage_id == stages[3].pk and deal.company.name == "ООО «Вектор»"
    assert deal.deal_contacts.get().contact.phones.get().number == "+79160001122"
    assert DealFact.objects.filter(deal=deal, confirmed_by=manager).count() == 1


def test_dialog_bad_phone_names_the_field_and_writes_nothing(pipeline, stages, manager):
    deal = make_deal(pipeline, manager, budget="1000")
    done_task(deal, manager)
    response = _hx_post(login(manager), reverse("web:deal_facts", args=[deal.pk]), {
        "to_stage": stages[3].pk, "version": deal.version, "origin": "board",
        f"confirm_{stages[1].requirements.get().pk}": "on",
        "new_contact_name": "Анна", "new_contact_phone": "12"})
    assert response.status_code == 422
    assert "phone" in response.content.decode().lower()
    assert not DealFact.objects.filter(deal=deal).exists()
    deal.refresh_from_db()
    assert deal.stage_id == stages[0].pk


def test_backward_drop_is_refused_with_the_reason(pipeline, stages, admin, manager):
    deal = make_deal(pipeline, manager, budget="1000")
    done_task(deal, manager)
    client = login(manager)
    _hx_post(client, reverse("web:deal_move", args=[deal.pk]),
             {"to_stage": stages[1].pk, "version": deal.version, "origin": "board"})
    deal.refresh_from_db()
    assert deal.stage_id == stages[1].pk
    response = _hx_post(client, reverse("web:deal_move", args=[deal.pk]),
                        {"to_stage": stages[0].pk, "version": deal.version, "origin": "board"})
    assert response.status_code == 422
    events = json.loads(response["HX-Trigger"])
    assert "no way back" in events["toast"]["message"] and "moveRefused" in events
    deal.refresh_from_db()
    assert deal.stage_id == stages[1].pk


def test_stale_card_gets_a_conflict(pipeline, stages, manager):
    deal = make_deal(pipeline, manager, budget="1000")
    done_task(deal, manager)
    response = _hx_post(login(manager), reverse("web:deal_move", args=[deal.pk]),
                        {"to_stage": stages[1].pk, "version": deal.version + 5,
                         "origin": "board"})
    assert response.status_code == 409
    assert Transition.objects.filter(deal=deal).count() == 1  # only "created"


def test_archive_needs_a_reason(pipeline, stages, manager):
    deal = make_deal(pipeline, manager)
    make_deal(pipeline, manager, budget="2500")  # stays: the board's total is this one
    client = login(manager)
    url = reverse("web:deal_archive", args=[deal.pk])
    assert "Дорого" in client.get(url, HTTP_HX_REQUEST="true").content.decode()
    response = _hx_post(client, url, {"version": deal.version, "origin": "board"})
    assert response.status_code == 422
    reason = pipeline.loss_reasons.get(name="Дорого")
    response = _hx_post(client, url, {"version": deal.version, "origin": "board",
                                      "reason": reason.pk, "comment": "Нашли дешевле"})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="card-{deal.pk}" hx-swap-oob="delete"' in html
    summary = html[html.index('id="board-summary"'):]
    assert summary.startswith('id="board-summary" hx-swap-oob="true">')
    assert "<b>1</b> open deal · <b>2\xa0500\xa0₽</b>" in summary
    deal.refresh_from_db()
    assert deal.status == "lost" and deal.loss_reason == reason
    assert deal.loss_comment == "Нашли дешевле"


def test_win_needs_the_last_facts_then_closes(pipeline, stages, manager):
    deal = make_deal(pipeline, manager, budget="1000")
    client = login(manager)
    response = _hx_post(client, reverse("web:deal_win", args=[deal.pk]),
                        {"version": deal.version, "origin": "deal"})
    assert response.status_code == 200 and response["HX-Retarget"] == "#modal"
    deal.refresh_from_db()
    assert deal.status == "open"


def test_move_without_javascript_redirects_with_a_message(pipeline, stages, manager):
    deal = make_deal(pipeline, manager, budget="1000")
    done_task(deal, manager)
    client = login(manager)
    response = client.post(reverse("web:deal_move", args=[deal.pk]),
                           {"to_stage": stages[1].pk, "version": deal.version})
    assert response.status_code == 302
    response = client.post(reverse("web:deal_move", args=[deal.pk]),
                           {"to_stage": stages[3].pk, "version": deal.version + 1})
    assert response.status_code == 200
    assert "Missing facts" in response.content.decode()


@pytest.mark.parametrize("who", ["marketer", "manager2"])
def test_who_may_not_change_cannot_move(who, request, pipeline, stages, manager):
    deal = make_deal(pipeline, manager, budget="1000")
    done_task(deal, manager)
    user = request.getfixturevalue(who)
    response = _hx_post(login(user), reverse("web:deal_move", args=[deal.pk]),
                        {"to_stage": stages[1].pk, "version": deal.version})
    assert response.status_code in (403, 404)
    deal.refresh_from_db()
    assert deal.stage_id == stages[0].pk


def test_card_escapes_what_users_typed(pipeline, stages, manager):
    from voronka.crm.services import company_create

    company = company_create(actor=manager, name='"><img src=x onerror=alert(1)>')
    make_deal(pipeline, manager, title="<script>alert(1)</script>", company=company)
    html = login(manager).get(reverse("web:board")).content.decode()
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html


def test_board_source_suggestions(pipeline, stages, manager):
    make_deal(pipeline, manager, source="Выставка")
    response = login(manager).get(reverse("web:board_sources", args=[pipeline.pk]))
    assert response.status_code == 200 and '<option value="Выставка">' in response.content.decode()


def test_board_page_and_its_htmx_refresh_carry_the_columns(pipeline, stages, manager):
    _bulk_deals(pipeline, stages, manager, 12)
    client = login(manager)
    url = reverse("web:board_pipeline", args=[pipeline.pk])
    page = client.get(url).content.decode()
    assert page.count('<section class="column"') == len(stages)
    assert page.count('<article class="card') == 12
    assert "<!--" not in page.split('id="board"')[1].split("</main>")[0]  # no slot marker left
    part = client.get(url, headers={"HX-Request": "true", "HX-Target": "board"})
    html = part.content.decode()
    assert part.status_code == 200 and "<html" not in html
    assert html.count('<section class="column"') == len(stages)
    assert html.count('<article class="card') == 12


def test_column_totals_larger_than_any_one_budget(pipeline, stages, manager):
    """The column's budget sum has more digits than a budget may have."""
    from voronka.deals.services import MONEY_MAX

    for _ in range(3):
        make_deal(pipeline, manager, budget=str(MONEY_MAX))
    board = board_get(user=manager, pipeline=pipeline, filters=BoardFilters())
    assert board.columns[0].budget == 3 * MONEY_MAX
    page = login(manager).get(reverse("web:board_pipeline", args=[pipeline.pk]))
    assert page.status_code == 200


def test_a_filter_that_matches_nothing_says_so(pipeline, stages, manager):
    make_deal(pipeline, manager, title="Стеллажи")
    client = login(manager)
    url = reverse("web:board_pipeline", args=[pipeline.pk])
    assert "No open deal matches" not in client.get(url).content.decode()
    assert "No open deal matches" not in client.get(url, {"q": "стеллаж"}).content.decode()
    assert "No open deal matches" in client.get(url, {"q": "Бетон"}).content.decode()


def test_a_card_without_a_budget_is_marked(pipeline, stages, manager):
    make_deal(pipeline, manager, title="Без бюджета", budget="0")
    make_deal(pipeline, manager, title="С бюджетом", budget="1500")
    html = login(manager).get(reverse("web:board_pipeline", args=[pipeline.pk])).content.decode()
    assert html.count('class="card-budget none"') == 1 and "no budget" in html


def test_the_payment_still_due_reads_as_money(pipeline, stages, manager):
    deal = make_deal(pipeline, manager, budget="2040000")
    html = _hx_post(login(manager), reverse("web:deal_win", args=[deal.pk]),
                    {"version": deal.version, "origin": "board"}).content.decode()
    assert "2\xa0040\xa0000\xa0₽ still due" in html


def test_a_future_payment_in_the_facts_dialog_is_shown_on_its_date(pipeline, stages, manager):
    import datetime

    from django.utils import timezone

    deal = make_deal(pipeline, manager, budget="1000")
    later = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    response = _hx_post(login(manager), reverse("web:deal_facts", args=[deal.pk]), {
        "to_stage": "win", "version": deal.version, "origin": "board", "filters": "",
        "payment_amount": "1000", "payment_date": later})
    html = response.content.decode()
    assert response.status_code == 422 and "cannot be dated in the future" in html
    assert "paid_on:" not in html and not deal.payments.exists()
