import pytest
from django.core.management import call_command

from voronka.accounts.models import ApiToken
from voronka.accounts.services import api_token_create, api_token_revoke
from voronka.core.errors import PermissionDenied, ValidationError

from .conftest import Api


def test_requests_without_a_valid_token_are_401(client, manager, pipeline):
    assert client.get("/api/v1/pipelines").status_code == 401
    r = client.get("/api/v1/pipelines", HTTP_AUTHORIZATION="Bearer vk_nope")
    assert r.status_code == 401
    assert r.json()["code"] == "unauthorized"
    assert r["WWW-Authenticate"] == "Bearer"


def test_only_the_digest_is_stored_and_revoking_ends_access(manager, pipeline):
    token, raw = api_token_create(user=manager, name="1C sync", actor=manager)
    assert raw.startswith("vk_") and raw not in (token.digest, token.prefix)
    api = Api(manager, raw)
    assert api.get("/me").json()["email"] == manager.email
    api_token_revoke(token=token, actor=manager)
    assert api.get("/me").status_code == 401


def test_inactive_user_token_stops_working(manager, pipeline):
    api = Api(manager)
    manager.is_active = False
    manager.save()
    assert api.get("/me").status_code == 401


def test_tokens_are_personal(manager, manager2, admin):
    with pytest.raises(PermissionDenied):
        api_token_create(user=manager2, name="x", actor=manager)
    token, _raw = api_token_create(user=manager2, name="x", actor=admin)
    with pytest.raises(PermissionDenied):
        api_token_revoke(token=token, actor=manager)
    with pytest.raises(ValidationError) as exc:
        api_token_create(user=manager, name="  ", actor=manager)
    assert "name" in exc.value.errors


def test_cli_creates_lists_and_revokes(manager, capsys):
    call_command("token", "create", "--user", manager.email, "--name", "script")
    raw = capsys.readouterr().out.strip()
    api = Api(manager, raw)
    assert api.get("/me").status_code == 200
    token = ApiToken.objects.get(user=manager)
    call_command("token", "list", "--user", manager.email)
    listing = capsys.readouterr().out
    assert token.prefix in listing and raw not in listing
    call_command("token", "revoke", str(token.pk))
    assert api.get("/me").status_code == 401


def test_docs_and_schema_are_served_without_a_token(client):
    assert client.get("/api/docs").status_code == 302
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and b"cdn." not in docs.content
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/deals/{id}/move" in schema["paths"]
