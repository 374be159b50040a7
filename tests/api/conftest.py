import json

import pytest
from django.test import Client

from voronka.accounts.models import Role
from voronka.accounts.services import api_token_create

from ..factories import TeamFactory, UserFactory, make_pipeline


class Api:
    """A test client speaking JSON with one user's token."""

    def __init__(self, user, token: str | None = None):
        self.user = user
        self.token = token or api_token_create(user=user, name="test", actor=user)[1]
        self.client = Client()

    def _headers(self, extra):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}
        for name, value in (extra or {}).items():
            headers["HTTP_" + name.upper().replace("-", "_")] = value
        return headers

    def get(self, path, params=None, **headers):
        return self.client.get("/api/v1" + path, params or {}, **self._headers(headers))

    def post(self, path, body=None, **headers):
        return self.client.post("/api/v1" + path, json.dumps(body or {}),
                                content_type="application/json", **self._headers(headers))

    def patch(self, path, body=None, **headers):
        return self.client.patch("/api/v1" + path, json.dumps(body or {}),
                                 content_type="application/json", **self._headers(headers))

    def delete(self, path, **headers):
        return self.client.delete("/api/v1" + path, **self._headers(headers))


@pytest.fixture
def api(manager):
    return Api(manager)


@pytest.fixture
def api_for():
    return Api


@pytest.fixture
def outsider(db):
    """A manager of another team, with its own pipeline: sees none of ``manager``'s data."""
    team = TeamFactory(name="Чужой отдел")
    make_pipeline(team, name="Чужая воронка")
    return UserFactory(role=Role.MANAGER, team=team, email="outsider@example.com")
