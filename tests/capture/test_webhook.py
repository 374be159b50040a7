import pytest

from voronka.activities.models import Note, Task
from voronka.capture.models import Capture
from voronka.crm.models import Contact
from voronka.deals.models import Deal

PAYLOAD = {"id": "ord-1001", "contact": {"name": "Мария", "phones": ["8 (912) 000-11-22"],
                                         "email": "Maria@Mail.RU"},
           "message": "Хочу дверь", "order": {"total": "45 000"}, "utm": {"source": "vk"}}
MODELS = (Capture, Contact, Deal, Task, Note)


def counts():
    return [m.objects.count() for m in MODELS]


def test_mapped_payload_becomes_a_lead(hook_channel, visitor):
    r = visitor.hook(hook_channel, PAYLOAD)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["outcome"] == "created" and body["duplicate"] is False
    deal = Deal.objects.get(pk=body["deal_id"])
    assert (str(deal.budget), deal.source, deal.utm_source) == ("45000.00", "tilda", "vk")
    contact = Contact.objects.get(pk=body["contact_id"])
    assert list(contact.phones.values_list("number", flat=True)) == ["+79120001122"]
    assert list(contact.emails.values_list("email", flat=True)) == ["maria@mail.ru"]
    assert Capture.objects.get().provider_id == "ord-1001"


def test_replay_with_the_same_provider_id_changes_nothing(hook_channel, visitor):
    first = visitor.hook(hook_channel, PAYLOAD).json()
    before = counts()
    again = visitor.hook(hook_channel, {**PAYLOAD, "message": "changed"})
    assert again.status_code == 200
    assert again.json() | {"duplicate": False} == first
    assert again.json()["duplicate"] is True
    assert counts() == before


def test_idempotency_key_header_is_the_provider_id_too(hook_channel, visitor):
    payload = {k: v for k, v in PAYLOAD.items() if k != "id"}
    visitor.hook(hook_channel, payload, HTTP_IDEMPOTENCY_KEY="evt-7")
    before = counts()
    assert visitor.hook(hook_channel, payload, HTTP_IDEMPOTENCY_KEY="evt-7").status_code == 200
    assert counts() == before


def test_errors_name_the_senders_field(hook_channel, visitor):
    r = visitor.hook(hook_channel, {"id": "x1", "contact": {"phones": ["000"]}})
    assert r.status_code == 422
    assert list(r.json()["errors"]) == ["contact.phones.0"]
    r = visitor.hook(hook_channel, {**PAYLOAD, "id": "x2", "order": {"total": "много"}})
    assert r.status_code == 422 and list(r.json()["errors"]) == ["order.total"]
    assert not Deal.objects.exists()
    assert set(Capture.objects.values_list("outcome", flat=True)) == {"invalid"}


def test_identity_mapping_and_form_encoding(pipeline, admin, manager, visitor):
    from voronka.capture.services import channel_create

    channel = channel_create(actor=admin, name="Generic", kind="webhook", pipeline=pipeline)
    r = visitor.client.post(f"/capture/hooks/{channel.key}/",
                            {"name": "Олег", "phone": "+79990001122", "provider_id": "1"})
    assert r.status_code == 201 and r.json()["outcome"] == "created"


def test_bad_requests_never_break(hook_channel, visitor):
    url = f"/capture/hooks/{hook_channel.key}/"
    c = visitor.client
    assert c.post(url, "{not json", content_type="application/json").status_code == 400
    assert c.post(url, '"\\u0000"', content_type="application/json").status_code == 400
    assert c.post(url, '{"a": "\\ud800"}', content_type="application/json").status_code == 400
    assert c.post(url, "[1, 2]", content_type="application/json").status_code == 422
    assert c.get(url).status_code == 405
    assert c.post("/capture/hooks/nope/", "{}", content_type="application/json"
                  ).status_code == 404
    assert c.post(f"/capture/telephony/{hook_channel.key}/", "{}",
                  content_type="application/json").status_code == 404


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_same_event_sent_at_once_is_one_lead(hook_channel):
    import threading

    from django.db import connection

    from .conftest import Public

    statuses = []

    def send():
        try:
            statuses.append(Public().hook(hook_channel, PAYLOAD).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * 5 + [201]
    assert Capture.objects.count() == 1 and Deal.objects.count() == 1
    assert Contact.objects.count() == 1
