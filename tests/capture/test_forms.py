import datetime

import pytest
from django.test import override_settings
from django.utils import timezone

from voronka.activities.models import Note, Task
from voronka.capture.models import Capture
from voronka.crm.models import Contact
from voronka.deals.models import Deal

from .conftest import Public

LEAD = {"name": "Иван Петров", "phone": "+7 (916) 123-45-67", "email": "Ivan@Example.com",
        "comment": "Нужен сайт для клиники", "utm_source": "yandex", "utm_campaign": "spring"}


def test_form_page_is_a_plain_html_form(form_channel, visitor):
    r = visitor.client.get(f"/capture/forms/{form_channel.key}/?utm_source=vk")
    html = r.content.decode()
    assert r.status_code == 200 and "<script" not in html
    assert f'action="/capture/forms/{form_channel.key}/"' in html
    assert 'name="website"' in html and 'name="_submission"' in html
    assert 'name="utm_source" value="vk"' in html
    assert "X-Frame-Options" not in r.headers  # embeddable in an iframe
    assert visitor.client.get("/capture/forms/wrong-key/").status_code == 404


def test_submission_creates_contact_deal_and_classify_task(form_channel, visitor, pipeline,
                                                           stages, manager):
    before = timezone.now()
    r = visitor.form(form_channel, LEAD)
    assert r.status_code == 200 and b'name="phone"' not in r.content  # the thank-you page
    capture = Capture.objects.get()
    assert capture.outcome == "created" and capture.ip == "203.0.113.7"
    assert capture.payload["phone"] == LEAD["phone"]  # the raw payload, as received
    deal = capture.deal
    assert (deal.pipeline, deal.stage, deal.source) == (pipeline, stages[0], "site")
    assert (deal.utm_source, deal.utm_campaign) == ("yandex", "spring")
    contact = capture.contact
    assert contact.full_name == "Иван Петров"
    assert list(contact.phones.values_list("number", flat=True)) == ["+79161234567"]
    assert list(contact.emails.values_list("email", flat=True)) == ["ivan@example.com"]
    task = capture.task
    assert task.deal == deal and task.assignee == deal.owner and task.kind == "other"
    assert before + datetime.timedelta(minutes=29) < task.due_at < \
        timezone.now() + datetime.timedelta(minutes=31)
    assert Note.objects.get(deal=deal).text == "Нужен сайт для клиники"


@pytest.mark.parametrize("second", [
    {"phone": "8 916 123 45 67"},
    {"phone": "+79161234567", "name": "Ваня"},
    {"email": "IVAN@example.COM"},
    {"email": "  ivan@example.com ", "phone": ""},
])
def test_same_person_in_another_format_is_the_same_contact(form_channel, visitor, second):
    visitor.form(form_channel, LEAD)
    r = visitor.form(form_channel, second)
    assert r.status_code == 200, r.content
    assert Contact.objects.count() == 1 and Deal.objects.count() == 1
    repeat = Capture.objects.order_by("id").last()
    assert repeat.outcome == "attached" and repeat.deal_id == Deal.objects.get().pk
    # The first task is still open, so the repeat adds a note, not a second task.
    assert Task.objects.count() == 1
    assert "Заявка с сайта" in Note.objects.order_by("id").last().text


def test_new_phone_of_a_known_person_is_added_to_the_contact(form_channel, visitor):
    visitor.form(form_channel, LEAD)
    visitor.form(form_channel, {"email": "ivan@example.com", "phone": "+7 495 123-45-67"})
    contact = Contact.objects.get()
    assert sorted(contact.phones.values_list("number", flat=True)) == ["+74951234567",
                                                                       "+79161234567"]


def test_closed_deal_means_a_new_deal_for_the_same_contact(form_channel, visitor, pipeline):
    from voronka.deals.services import deal_archive

    visitor.form(form_channel, LEAD)
    deal = Deal.objects.get()
    deal_archive(deal=deal, actor=None, reason=pipeline.loss_reasons.first())
    visitor.form(form_channel, {"phone": "89161234567"})
    assert Contact.objects.count() == 1 and Deal.objects.count() == 2
    assert Capture.objects.order_by("id").last().outcome == "created"


def test_replaying_a_submission_changes_nothing(form_channel, visitor):
    data = {**LEAD, "_submission": "3f1c0b"}
    visitor.form(form_channel, data)
    counts = [m.objects.count() for m in (Capture, Contact, Deal, Task, Note)]
    r = visitor.form(form_channel, data)
    assert r.status_code == 200
    assert [m.objects.count() for m in (Capture, Contact, Deal, Task, Note)] == counts


def test_honeypot_is_spam_and_creates_nothing(form_channel, visitor):
    r = visitor.form_json(form_channel, {**LEAD, "website": "http://spam.example"})
    assert r.status_code == 201 and r.json() == {"status": "ok"}
    assert Capture.objects.get().outcome == "spam"
    assert not Deal.objects.exists() and not Contact.objects.exists()


def test_invalid_fields_are_named_and_nothing_is_written(form_channel, visitor):
    r = visitor.form_json(form_channel, {"name": "Bob", "phone": "12", "email": "nope"})
    assert r.status_code == 422
    assert set(r.json()["errors"]) == {"phone", "email"}
    r = visitor.form(form_channel, {"name": "Bob"})
    assert r.status_code == 422 and "vk-error" in r.content.decode()
    assert 'value="Bob"' in r.content.decode()  # the visitor's input is kept
    assert [c.outcome for c in Capture.objects.all()] == ["invalid", "invalid"]
    assert Capture.objects.order_by("id").first().errors["phone"]
    assert not Deal.objects.exists() and not Contact.objects.exists()


def test_success_url_redirects(form_channel, visitor, admin):
    from voronka.capture.services import channel_update

    channel_update(channel=form_channel, actor=admin, success_url="https://example.com/ok")
    r = visitor.form(form_channel, LEAD)
    assert r.status_code == 303 and r["Location"] == "https://example.com/ok"


def test_callback_form_sets_a_call_task(callback_channel, visitor):
    r = visitor.form(callback_channel, {"phone": "8-916-765-43-21"})
    assert r.status_code == 200
    capture = Capture.objects.get()
    assert capture.outcome == "created" and capture.task.kind == "call"
    assert "+79167654321" in capture.task.text
    assert visitor.form(callback_channel, {"phone": ""}).status_code == 422


@override_settings(VORONKA_CAPTURE_RATE_LIMIT="2/60")
def test_per_ip_rate_limit(form_channel, visitor):
    assert visitor.form(form_channel, LEAD).status_code == 200
    assert visitor.form(form_channel, {"phone": "bad"}).status_code == 422
    r = visitor.form(form_channel, LEAD)
    assert r.status_code == 429 and r["Retry-After"] == "60"
    assert Public(ip="198.51.100.1").form(form_channel, LEAD).status_code == 200
    assert Capture.objects.count() == 3  # refused requests are not stored


@override_settings(VORONKA_CAPTURE_RATE_LIMIT="1/60", VORONKA_PROXY_HOPS=1)
def test_behind_a_proxy_the_limit_counts_the_forwarded_client(form_channel):
    proxy = Public(ip="10.0.0.2")  # every visitor arrives from the proxy's address
    assert proxy.form(form_channel, LEAD, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200
    assert proxy.form(form_channel, LEAD, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 200
    forged = proxy.form(form_channel, LEAD, HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.1")
    assert forged.status_code == 429  # the client's own entry does not buy a fresh limit
    assert sorted(Capture.objects.values_list("ip", flat=True)) == ["198.51.100.1",
                                                                    "198.51.100.2"]


@override_settings(VORONKA_CAPTURE_MAX_BYTES=200)
def test_size_limit(form_channel, visitor):
    r = visitor.form(form_channel, {**LEAD, "comment": "x" * 500})
    assert r.status_code == 413 and "body" in r.json()["errors"]
    assert not Capture.objects.exists()


def test_long_values_are_refused_by_name(form_channel, visitor):
    r = visitor.form_json(form_channel, {**LEAD, "comment": "x" * 2001})
    assert r.status_code == 422 and "comment" in r.json()["errors"]


def test_inactive_channel_is_gone(form_channel, visitor, admin):
    from voronka.capture.services import channel_update

    channel_update(channel=form_channel, actor=admin, is_active=False)
    assert visitor.form(form_channel, LEAD).status_code == 404


def test_lead_captured_is_published_once_inside_the_transaction(form_channel, visitor):
    from voronka.core import events

    seen = []
    events.subscribe(seen.append)
    try:
        visitor.form(form_channel, {**LEAD, "_submission": "a"})
        visitor.form(form_channel, {**LEAD, "_submission": "a"})  # replay: no event
        visitor.form(form_channel, {"phone": "89161234567"})  # repeat request: attached
    finally:
        events.unsubscribe(seen.append)
    captured = [e for e in seen if e.name == events.LEAD_CAPTURED]
    assert [e.data["created"] for e in captured] == [True, False]
    assert captured[0].deal_id == Deal.objects.get().pk
