import json

import pytest
from django.test import Client

from voronka.capture.models import Channel
from voronka.capture.services import channel_create


@pytest.fixture
def form_channel(pipeline, manager, manager2, admin):
    return channel_create(actor=admin, name="Заявка с сайта", kind=Channel.Kind.FORM,
                          pipeline=pipeline, source="site", task_due_minutes=30)


@pytest.fixture
def callback_channel(pipeline, manager, admin):
    return channel_create(actor=admin, name="Перезвоните мне", kind=Channel.Kind.CALLBACK,
                          pipeline=pipeline, task_due_minutes=15)


@pytest.fixture
def hook_channel(pipeline, manager, admin):
    return channel_create(actor=admin, name="Tilda", kind=Channel.Kind.WEBHOOK,
                          pipeline=pipeline, source="tilda", mapping={
                              "name": "contact.name", "phone": "contact.phones.0",
                              "email": "contact.email", "provider_id": "id",
                              "comment": "message", "budget": "order.total",
                              "utm_source": "utm.source"})


@pytest.fixture
def phone_channel(pipeline, manager, admin):
    return channel_create(actor=admin, name="АТС", kind=Channel.Kind.TELEPHONY,
                          pipeline=pipeline, source="phone")


class Public:
    """An anonymous visitor (or a remote system) from one IP address."""

    def __init__(self, ip="203.0.113.7"):
        self.client = Client(enforce_csrf_checks=True, REMOTE_ADDR=ip)

    def form(self, channel, data, **extra):
        return self.client.post(f"/capture/forms/{channel.key}/", data, **extra)

    def form_json(self, channel, data):
        return self.client.post(f"/capture/forms/{channel.key}/", json.dumps(data),
                                content_type="application/json")

    def hook(self, channel, data, **extra):
        return self.client.post(f"/capture/hooks/{channel.key}/", json.dumps(data),
                                content_type="application/json", **extra)

    def call(self, channel, data):
        return self.client.post(f"/capture/telephony/{channel.key}/", json.dumps(data),
                                content_type="application/json")


@pytest.fixture
def visitor():
    return Public()


@pytest.fixture
def outsider_head(db):
    from voronka.accounts.models import Role

    from ..factories import TeamFactory, UserFactory

    return UserFactory(role=Role.HEAD, team=TeamFactory(name="Другой отдел"),
                       email="other-head@example.com")
