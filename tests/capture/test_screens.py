"""The staff screens: API tokens, capture channels with the snippet, the capture log."""

import re

import pytest
from django.test import Client

from voronka.accounts.models import ApiToken
from voronka.capture.models import Channel

from .conftest import Public


@pytest.fixture
def logged_in():
    def login(user):
        client = Client()
        client.force_login(user)
        return client
    return login


def test_token_screen_creates_shows_once_and_revokes(logged_in, manager):
    client = logged_in(manager)
    r = client.post("/api/tokens/", {"name": "Zapier"})
    assert r.status_code == 200
    secret = re.search(r'value="(vk_[^"]+)"', r.content.decode()).group(1)
    token = ApiToken.objects.get(user=manager)
    page = client.get("/api/tokens/").content.decode()
    assert token.prefix in page and secret not in page
    assert client.post("/api/tokens/", {"name": ""}).status_code == 422
    r = client.post(f"/api/tokens/{token.pk}/revoke/")
    assert r.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_someone_elses_token_cannot_be_revoked(logged_in, manager, manager2):
    from voronka.accounts.services import api_token_create

    token, _raw = api_token_create(user=manager2, name="x", actor=manager2)
    assert logged_in(manager).post(f"/api/tokens/{token.pk}/revoke/").status_code == 404


def test_channel_screen_shows_the_no_js_snippet(logged_in, admin, form_channel):
    r = logged_in(admin).get(f"/capture/channels/{form_channel.pk}/")
    html = r.content.decode()
    assert r.status_code == 200
    assert f"/capture/forms/{form_channel.key}/" in html
    assert "&lt;form method=&quot;post&quot;" in html and "&lt;script" not in html
    assert logged_in(admin).get("/capture/").status_code == 200


def test_log_shows_payload_outcome_and_deal(logged_in, admin, manager, outsider_head,
                                            form_channel):
    Public().form(form_channel, {"name": "Анна", "phone": "+79160000001"})
    Public().form(form_channel, {"phone": "oops"})
    admin_client = logged_in(admin)
    page = admin_client.get("/capture/log/").content.decode()
    capture = form_channel.captures.order_by("id").first()
    assert all(f"/capture/log/{c.pk}/" in page for c in form_channel.captures.all())
    assert f"/deals/{capture.deal_id}/" in page
    detail = admin_client.get(f"/capture/log/{capture.pk}/").content.decode()
    assert "+79160000001" in detail and f"/deals/{capture.deal_id}/" in detail
    invalid = form_channel.captures.order_by("id").last()
    assert "phone" in admin_client.get(f"/capture/log/{invalid.pk}/").content.decode()
    # The deal's owner sees their lead; a head of another team sees nothing.
    owner_client = logged_in(capture.deal.owner)
    assert owner_client.get(f"/capture/log/{capture.pk}/").status_code == 200
    assert owner_client.get(f"/capture/log/{invalid.pk}/").status_code == 404
    assert logged_in(outsider_head).get(f"/capture/log/{capture.pk}/").status_code == 404


def test_pending_capture_can_be_processed_by_a_head(logged_in, head, form_channel, manager):
    from voronka.capture.services import capture_receive

    capture, _new = capture_receive(channel=form_channel, payload={"phone": "+79160000002"})
    client = Client(enforce_csrf_checks=True)
    client.force_login(head)
    assert client.post(f"/capture/log/{capture.pk}/reprocess/").status_code == 403  # CSRF
    r = logged_in(head).post(f"/capture/log/{capture.pk}/reprocess/")
    assert r.status_code == 302
    capture.refresh_from_db()
    assert capture.outcome == "created" and capture.deal is not None


def test_admin_sets_up_a_channel_through_the_service(logged_in, admin, pipeline, manager):
    client = logged_in(admin)
    r = client.post("/admin/capture/channel/add/", {
        "name": "Квиз", "kind": "form", "pipeline": pipeline.pk, "is_active": "on",
        "fields": "[]", "mapping": "{}", "distribution": "round_robin",
        "source": "quiz", "task_due_minutes": "20", "success_url": ""})
    assert r.status_code == 302, r.content.decode()[:2000]
    channel = Channel.objects.get(name="Квиз")
    assert len(channel.key) >= 30 and channel.fields  # key issued, default fields filled
    r = client.post(f"/admin/capture/channel/{channel.pk}/change/", {
        "name": "Квиз", "kind": "form", "pipeline": pipeline.pk, "is_active": "on",
        "fields": '[{"name": "x", "target": "nope"}]', "mapping": "{}",
        "distribution": "round_robin", "source": "quiz", "task_due_minutes": "20",
        "success_url": ""})
    assert r.status_code == 200 and "fields" in r.content.decode()
