"""API keys, the JSON error shape, health, OpenAPI and the offline Swagger UI."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from myloware.api.models import ApiKey
from myloware.api.services import api_key_revoke


def _assert_error_shape(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["status"] == status and error["code"] and error["message"]
    return error


@pytest.mark.django_db
def test_a_valid_key_authenticates_and_names_the_actor(api_client: APIClient) -> None:
    response = api_client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["actor"] == "api:orchestrator"


@pytest.mark.django_db
def test_missing_key_is_401_with_the_json_error_shape(anonymous_client: APIClient) -> None:
    error = _assert_error_shape(anonymous_client.get("/api/v1/me"), 401)
    assert error["code"] == "not_authenticated"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw", ["", "x", "mlw_short", "mlw_" + "A" * 48, "Bearer abc", "mlw_" + "é" * 48, "' OR 1=1 --"]
)
def test_malformed_or_unknown_keys_are_401_never_500(anonymous_client: APIClient, raw: str) -> None:
    anonymous_client.credentials(HTTP_X_API_KEY=raw)
    _assert_error_shape(anonymous_client.get("/api/v1/me"), 401)


@pytest.mark.django_db
def test_a_revoked_key_is_refused_like_an_unknown_one(api_client: APIClient, api_key) -> None:  # type: ignore[no-untyped-def]
    api_key_revoke(name=api_key[0].name)
    error = _assert_error_shape(api_client.get("/api/v1/me"), 401)
    assert error["code"] == "authentication_failed"


@pytest.mark.django_db
def test_keys_are_stored_hashed_with_only_a_short_prefix_in_clear(api_key) -> None:  # type: ignore[no-untyped-def]
    key, raw = api_key
    stored = ApiKey.objects.get(pk=key.pk)
    assert raw not in (stored.key_hash, stored.prefix)
    assert raw.startswith(stored.prefix) and len(stored.prefix) < 16
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_keys")
        assert raw not in repr(cursor.fetchall())


@pytest.mark.django_db
def test_create_api_key_command_prints_the_key_alone_on_the_last_line(anonymous_client: APIClient) -> None:
    out = io.StringIO()
    call_command("create_api_key", "script-runner", "--scope", "runs", stdout=out)
    last_line = out.getvalue().strip().splitlines()[-1]
    assert re.fullmatch(r"mlw_\S+", last_line)
    anonymous_client.credentials(HTTP_X_API_KEY=last_line)
    assert anonymous_client.get("/api/v1/me").json()["name"] == "script-runner"


@pytest.mark.django_db
def test_revoke_api_key_command_refuses_the_key_afterwards(make_api_key: Callable) -> None:
    key, raw = make_api_key("leaked")
    call_command("revoke_api_key", "leaked", stdout=io.StringIO())
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.django_db
def test_unknown_api_path_is_a_json_404(api_client: APIClient) -> None:
    _assert_error_shape(api_client.get("/api/v1/no-such-thing"), 404)


@pytest.mark.django_db
def test_healthz_reports_database_pgvector_and_migrations_to_an_ops_read_key(
    client: Client, make_api_key: Any
) -> None:
    _, raw = make_api_key(scopes=("ops:read",))
    response = client.get("/healthz", headers={"X-API-Key": raw})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["pgvector_version"].startswith("0.")
    assert body["database"]["pending_migrations"] == 0


def test_healthz_is_503_naming_the_database_when_unreachable(unreachable_database: None) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failing": ["database"]}


def test_api_calls_are_503_with_retry_after_when_the_database_is_down(unreachable_database: None) -> None:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY="mlw_" + "A" * 48)
    response = client.get("/api/v1/me")
    _assert_error_shape(response, 503)
    assert int(response["Retry-After"]) > 0


def test_admin_login_is_503_not_a_traceback_when_the_database_is_down(unreachable_database: None) -> None:
    response = Client().post("/admin/login/", {"username": "a", "password": "b"})
    assert response.status_code == 503


@pytest.mark.django_db
def test_openapi_schema_documents_the_api_key_scheme(client: Client) -> None:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    scheme = schema["components"]["securitySchemes"]["ApiKeyAuth"]
    assert {key: scheme[key] for key in ("type", "in", "name")} == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
    }
    assert "/api/v1/me" in schema["paths"]


@pytest.mark.django_db
def test_swagger_ui_loads_its_assets_locally_not_from_a_cdn(client: Client) -> None:
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(not s.startswith(("http://", "https://", "//")) for s in sources), sources
    for source in sources:
        if source.startswith("/static/"):
            asset = client.get(source)
            assert asset.status_code == 200, source


def test_openapi_schema_is_valid_and_generates_without_warnings() -> None:
    """Every endpoint documented with request/response bodies; no enum collisions, no guessing."""
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", stdout=out, stderr=err
    )
    assert "paths" in out.getvalue()
