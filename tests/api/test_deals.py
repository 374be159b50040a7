"""Deals through the API obey the same rules as every other door."""

import datetime

import pytest
from django.test import override_settings

from voronka.deals.models import Deal, Transition

from ..factories import done_task, make_deal
from .conftest import Api


def test_create_read_update_and_audit(api, pipeline, stages, manager):
    r = api.post("/deals", {"title": "Сайт для клиники", "pipeline_id": pipeline.pk,
                            "budget": "150000", "source": "site", "utm_source": "yandex"})
    assert r.status_code == 201, r.content
    deal = r.json()
    assert (deal["owner_id"], deal["budget"], deal["utm_source"]) == (manager.pk, "150000.00",
                                                                       "yandex")
    r = api.patch(f"/deals/{deal['id']}", {"title": "Сайт", "expected_version": 1})
    assert r.status_code == 200 and r.json()["title"] == "Сайт" and r.json()["version"] == 2
    r = api.patch(f"/deals/{deal['id']}", {"budget": "1", "expected_version": 1})
    assert r.status_code == 409 and r.json()["extra"]["current_version"] == 2
    changes = [e for e in api.get(f"/deals/{deal['id']}/timeline").json()
               if e["kind"] == "change"]
    assert {"field": "title", "old": "Сайт для клиники", "new": "Сайт"} in [
        e["summary"] for e in changes]


def test_gate_refusal_lists_missing_facts_in_both_languages(api, pipeline, stages):
    deal = api.post("/deals", {"title": "A", "pipeline_id": pipeline.pk}).json()
    r = api.post(f"/deals/{deal['id']}/move", {"to_stage_id": stages[2].pk})
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "facts_missing"
    missing = {(m["code"], m["stage_id"]) for m in body["missing"]}
    assert missing == {("field_filled", stages[0].pk), ("task_completed", stages[0].pk),
                       ("fact_confirmed", stages[1].pk)}
    for item in body["missing"]:
        assert item["requirement_id"] and item["message"]["ru"] and item["message"]["en"]
    assert Transition.objects.filter(deal_id=deal["id"]).count() == 1  # only "created"


def test_move_win_archive_reopen_through_the_api(api, pipeline, stages, manager):
    deal = make_deal(pipeline, manager, budget="1000")
    done_task(deal, manager)
    r = api.post(f"/deals/{deal.pk}/move", {"to_stage_id": stages[1].pk, "comment": "ok"})
    assert r.status_code == 200, r.content
    assert r.json()["transition"]["kind"] == "advance"
    assert r.json()["deal"]["stage_id"] == stages[1].pk
    r = api.post(f"/deals/{deal.pk}/move", {"to_stage_id": stages[0].pk})
    assert r.status_code == 409 and r.json()["code"] == "move_refused"
    r = api.post(f"/deals/{deal.pk}/win", {})
    assert r.status_code == 422 and r.json()["missing"]
    r = api.post(f"/deals/{deal.pk}/archive", {})
    assert r.status_code == 422 and "reason_id" in r.json()["errors"]
    reason = pipeline.loss_reasons.first()
    r = api.post(f"/deals/{deal.pk}/archive", {"reason_id": reason.pk, "comment": "дорого"})
    assert r.status_code == 200 and r.json()["deal"]["status"] == "lost"
    r = api.post(f"/deals/{deal.pk}/move", {"to_stage_id": stages[2].pk})
    assert r.status_code == 409
    r = api.post(f"/deals/{deal.pk}/reopen", {})
    assert r.status_code == 200 and r.json()["deal"]["stage_id"] == stages[1].pk
    r = api.post(f"/deals/{deal.pk}/correct", {"to_stage_id": stages[0].pk, "reason": "x"})
    assert r.status_code == 403
    kinds = [t["kind"] for t in api.get(f"/deals/{deal.pk}/transitions").json()]
    assert kinds == ["created", "advance", "lost", "reopen"]


def test_facts_contacts_payments_and_checklist(api, pipeline, stages, manager):
    deal = make_deal(pipeline, manager, budget="1000")
    done_task(deal, manager)
    api.post(f"/deals/{deal.pk}/move", {"to_stage_id": stages[1].pk})
    checklist = api.get(f"/deals/{deal.pk}/checklist").json()
    assert [(c["kind"], c["done"]) for c in checklist] == [("fact_confirmed", False)]
    r = api.post(f"/deals/{deal.pk}/facts", {"requirement_id": checklist[0]["requirement_id"]})
    assert r.status_code == 201 and r.json()["confirmed_by_id"] == manager.pk
    assert api.post(f"/deals/{deal.pk}/move", {"to_stage_id": stages[2].pk}).status_code == 200
    contact = api.post("/contacts", {"full_name": "Анна", "phones": ["8 (916) 123-45-67"]})
    assert contact.status_code == 201 and contact.json()["phones"] == ["+79161234567"]
    company = api.post("/companies", {"name": "ООО Ромашка", "inn": "7700000000"})
    assert company.status_code == 201
    r = api.post(f"/deals/{deal.pk}/contacts", {"contact_id": contact.json()["id"],
                                                "role": "decision_maker"})
    assert r.status_code == 201
    api.patch(f"/deals/{deal.pk}", {"company_id": company.json()["id"]})
    assert api.post(f"/deals/{deal.pk}/move", {"to_stage_id": stages[3].pk}).status_code == 200
    r = api.post(f"/deals/{deal.pk}/payments", {"amount": "1000", "paid_on": "2026-01-15"})
    assert r.status_code == 201 and r.json()["amount"] == "1000.00"
    r = api.post(f"/deals/{deal.pk}/payments", {"amount": "-5"})
    assert r.status_code == 422 and "amount" in r.json()["errors"]
    assert api.post(f"/deals/{deal.pk}/move", {"to_stage_id": stages[4].pk}).status_code == 200


def test_list_filters_and_cursor_pagination(api, pipeline, manager):
    for i in range(7):
        make_deal(pipeline, manager, title=f"Deal {i}", source="site" if i % 2 else "call")
    seen, cursor = [], None
    while True:
        params = {"limit": 3, "source": "site"} | ({"cursor": cursor} if cursor else {})
        page = api.get("/deals", params).json()
        seen += [d["title"] for d in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ["Deal 5", "Deal 3", "Deal 1"]
    assert api.get("/deals", {"limit": 501}).status_code == 422
    r = api.get("/deals", {"cursor": "not-a-cursor"})
    assert r.status_code == 422 and "cursor" in r.json()["errors"]
    assert len(api.get("/deals", {"limit": 500}).json()["items"]) == 7
    assert api.get("/deals", {"status": "won"}).json()["items"] == []


@pytest.mark.parametrize("body, field", [
    ({"title": "x", "pipeline_id": 2**70}, "pipeline_id"),
    ({"title": "a\x00b", "pipeline_id": 1}, "title"),
    ({"title": "x", "pipeline_id": 1, "budget": "NaN"}, "budget"),
    ({"title": "x", "pipeline_id": 1, "expected_close_date": "0001-01-01"},
     "expected_close_date"),
    ({"title": "x", "pipeline_id": 999999}, "pipeline_id"),
    ({"pipeline_id": 1}, "title"),
    ({"title": "x", "pipeline_id": 1, "source": "s" * 101}, "source"),
])
def test_bad_input_names_the_field(api, pipeline, body, field):
    if body.get("pipeline_id") == 1:
        body["pipeline_id"] = pipeline.pk
    r = api.post("/deals", body)
    assert r.status_code == 422, r.content
    assert field in r.json()["errors"]
    assert not Deal.objects.exists()


def test_malformed_json_and_foreign_references(api, pipeline, outsider):
    r = api.client.post("/api/v1/deals", "{nope", content_type="application/json",
                        HTTP_AUTHORIZATION=f"Bearer {api.token}")
    assert r.status_code in (400, 422)
    foreign = Api(outsider).post("/contacts", {"full_name": "Чужой"}).json()
    r = api.post("/deals", {"title": "x", "pipeline_id": pipeline.pk,
                            "contacts": [{"contact_id": foreign["id"]}]})
    assert r.status_code == 422 and "contacts.0.contact_id" in r.json()["errors"]


def test_marketer_reads_but_cannot_write(api_for, marketer, pipeline, manager):
    make_deal(pipeline, manager)
    api = api_for(marketer)
    assert len(api.get("/deals").json()["items"]) == 1
    r = api.post("/deals", {"title": "x", "pipeline_id": pipeline.pk})
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"


def test_tasks_notes_and_calls(api, pipeline, manager):
    deal = make_deal(pipeline, manager)
    due = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=2)).isoformat()
    r = api.post("/tasks", {"deal_id": deal.pk, "text": "Договориться о встрече",
                            "due_at": due, "kind": "meeting"})
    assert r.status_code == 201 and r.json()["assignee_id"] == manager.pk
    task_id = r.json()["id"]
    assert api.post(f"/tasks/{task_id}/complete", {"result": "встретились"}).json()["is_done"]
    assert api.post(f"/tasks/{task_id}/complete", {}).status_code == 409
    assert api.post("/tasks", {"text": "x", "due_at": due}).status_code == 422
    r = api.post("/notes", {"deal_id": deal.pk, "text": "Клиент просил КП"})
    assert r.status_code == 201
    assert api.get("/notes", {"deal_id": deal.pk}).json()["items"][0]["text"] == \
        "Клиент просил КП"
    assert api.get("/notes").status_code == 422
    r = api.post("/calls", {"direction": "inbound", "phone": "+7 916 123 45 67",
                            "started_at": due, "duration_seconds": 95, "deal_id": deal.pk})
    assert r.status_code == 201
    assert (r.json()["phone"], r.json()["stage_id"]) == ("+79161234567", deal.stage_id)
    r = api.post("/calls", {"direction": "inbound", "phone": "12", "started_at": due})
    assert r.status_code == 422 and "phone" in r.json()["errors"]


@override_settings(VORONKA_API_RATE_LIMIT="3/60")
def test_rate_limit_answers_429_with_retry_after(api, manager, pipeline):
    assert [api.get("/me").status_code for _ in range(3)] == [200, 200, 200]
    r = api.get("/me")
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"
    assert 1 <= int(r["Retry-After"]) <= 60
    other = Api(manager)  # the limit is per token
    assert other.get("/me").status_code == 200


def test_texts_longer_than_their_column_are_refused_not_cut(api, pipeline, manager):
    """Through the service too (every door): the API's schema is not the only check."""
    from voronka.core.errors import ValidationError
    from voronka.deals.services import deal_create, deal_update

    deal = api.post("/deals", {"title": "x", "pipeline_id": pipeline.pk}).json()
    r = api.patch(f"/deals/{deal['id']}", {"source": "s" * 101})
    assert r.status_code == 422 and "source" in r.json()["errors"]
    with pytest.raises(ValidationError) as exc:
        deal_create(actor=manager, pipeline=pipeline, title="y", source="s" * 101)
    assert "source" in exc.value.errors
    stored = Deal.objects.get(pk=deal["id"])
    with pytest.raises(ValidationError) as exc:
        deal_update(deal=stored, actor=manager, title="t" * 301)
    assert "title" in exc.value.errors
    stored.refresh_from_db()
    assert stored.title == "x" and stored.source == "" and Deal.objects.count() == 1


def test_schema_errors_are_ours_and_in_the_users_language(api, pipeline):
    """Pydantic's English messages are replaced, field by field, with the product's own."""
    r = api.get("/deals", {"created_from": "zz", "limit": "x"})
    assert r.status_code == 422
    assert r.json()["errors"] == {"created_from": ["Enter a date as YYYY-MM-DD."],
                                  "limit": ["Enter a whole number."]}
    r = api.post("/deals", {"title": "a\x00b", "pipeline_id": pipeline.pk, "source": "s" * 101})
    errors = r.json()["errors"]
    assert errors["source"] == ["At most 100 characters."]
    assert errors["title"][0].startswith("The text contains a NUL character")
    r = api.client.post("/api/v1/deals", "{nope", content_type="application/json",
                        HTTP_AUTHORIZATION=f"Bearer {api.token}")
    assert r.status_code == 400 and r.json()["errors"] == {
        "body": ["The request body is not valid JSON."]}
    r = api.get("/deals", {"created_from": "zz"}, accept_language="ru")
    assert r.json()["errors"]["created_from"] == ["Укажите дату в формате ГГГГ-ММ-ДД."]
    assert r.json()["message"] == "Некорректный запрос."
