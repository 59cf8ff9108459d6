"""API key scopes: every operation declares one, a key without it gets 403 naming it, /me and the
OpenAPI schema show them, the command and the admin choose them, old keys keep full access."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from myloware.api.models import ALL_SCOPES, ApiKey, Scope
from myloware.api.services import api_key_create

INTAKE = "/api/v1/webhooks/{provider}"  # authenticated by the provider's signature, not a key


def _client(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw_key)
    return client


def _operations(client: Client) -> list[tuple[str, str, str]]:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    return [
        (method.upper(), path, operation.get("x-required-scope"))
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if path != INTAKE
    ]


def _concrete(path: str) -> str:
    """A request path for an OpenAPI path template (the permission is checked before the view)."""
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


@pytest.mark.django_db
def test_every_api_operation_declares_a_scope(client: Client) -> None:
    operations = _operations(client)
    assert len(operations) > 30
    undeclared = [(method, path) for method, path, scope in operations if scope is None]
    assert undeclared == []
    # ops:read guards the figures of /healthz, which is outside the API (tests/workers/test_health.py).
    assert {scope for _, _, scope in operations} == {*ALL_SCOPES, "any"} - {Scope.OPS_READ}


@pytest.mark.django_db
def test_a_key_without_the_operations_scope_gets_403_naming_it(
    client: Client, make_api_key: Callable[..., tuple[ApiKey, str]]
) -> None:
    for method, path, scope in _operations(client):
        if scope == "any":
            continue
        _, raw = make_api_key(scopes=tuple(s for s in ALL_SCOPES if s != scope))
        response = getattr(_client(raw), method.lower())(_concrete(path), {}, format="json")
        assert response.status_code == 403, (method, path, response.content)
        error = response.json()["error"]
        assert error["code"] == "missing_scope", (method, path)
        assert scope in error["message"], (method, path)
        assert error["details"]["required_scope"] == scope
        # ... and with that one scope only, the request gets past the permission.
        _, raw = make_api_key(scopes=(scope,))
        allowed = getattr(_client(raw), method.lower())(_concrete(path), {}, format="json")
        assert allowed.status_code not in (401, 403), (method, path, allowed.content)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "needed"),
    [
        ("get", "/api/v1/webhooks/events", "webhooks:read"),
        ("post", "/api/v1/webhooks/dlq/2c908457-e044-49a2-9f67-4550b0fa50cb/replay", "webhooks:replay"),
        ("post", "/api/v1/socials", "socials:write"),
        ("post", "/api/v1/runs/run_x/gates/prepublish/decision", "gates:decide"),
        ("post", "/api/v1/runs/run_x/publish", "socials:publish"),
    ],
)
def test_the_orchestrators_narrow_key_cannot_reach_operator_business(
    make_api_key: Callable[..., tuple[ApiKey, str]], method: str, path: str, needed: str
) -> None:
    _, raw = make_api_key("orchestrator", scopes=("runs", "artifacts", "checkpoints", "kb:read"))
    response = getattr(_client(raw), method)(path, {}, format="json")
    assert response.status_code == 403
    body = response.json()["error"]
    assert body["code"] == "missing_scope" and f"'{needed}'" in body["message"]
    assert body["details"]["granted_scopes"] == ["runs", "artifacts", "checkpoints", "kb:read"]


@pytest.mark.django_db
def test_an_operation_that_declares_no_scope_is_refused() -> None:
    class Undeclared(APIView):
        def get(self, request: Request) -> Response:
            return Response({"leaked": True})

    _, raw = api_key_create(name="all", scopes=ALL_SCOPES)
    request = APIRequestFactory().get("/api/v1/undeclared", HTTP_X_API_KEY=raw)
    response = Undeclared.as_view()(request)
    assert response.status_code == 403
    assert response.data["error"]["code"] == "scope_undeclared"


@pytest.mark.django_db
def test_me_shows_the_keys_scopes(make_api_key: Callable[..., tuple[ApiKey, str]]) -> None:
    _, raw = make_api_key("reader", scopes=("kb:read", "runs"))
    body = _client(raw).get("/api/v1/me").json()
    assert body["scopes"] == ["runs", "kb:read"]  # canonical order
    assert body["legacy_full_access"] is False and body["actor"] == "api:reader"


@pytest.mark.django_db
def test_openapi_describes_every_scope_and_each_operations_scope(client: Client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    description = schema["components"]["securitySchemes"]["ApiKeyAuth"]["description"]
    for scope in Scope:
        assert f"`{scope.value}`" in description
    decision = schema["paths"]["/api/v1/runs/{run_id}/gates/{gate}/decision"]["post"]
    assert decision["x-required-scope"] == "gates:decide"
    assert "Requires the API key scope `gates:decide`." in decision["description"]


@pytest.mark.django_db
def test_create_api_key_takes_repeated_and_comma_separated_scopes() -> None:
    out = io.StringIO()
    call_command("create_api_key", "bot", "--scope", "runs,artifacts", "--scope", "kb:read", stdout=out)
    assert ApiKey.objects.get(name="bot").scopes == ["runs", "artifacts", "kb:read"]
    assert "scopes runs, artifacts, kb:read" in out.getvalue()
    with pytest.raises(CommandError, match="Unknown API key scope.*everything"):
        call_command("create_api_key", "bad", "--scope", "everything", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--scope"):
        call_command("create_api_key", "none", stdout=io.StringIO())
    assert not ApiKey.objects.filter(name__in=["bad", "none"]).exists()


@pytest.mark.django_db
def test_the_data_migration_gives_existing_keys_full_access_marked_legacy() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("api", "0002_operators_group")])
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO api_keys (name, prefix, key_hash, created_at) VALUES ('old', 'mlw_old', %s, now())",
            ["0" * 64],
        )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    old = ApiKey.objects.get(name="old")
    # Every scope that existed then; one added later (ops:read) is not granted by history.
    assert old.scopes == [scope for scope in ALL_SCOPES if scope != Scope.OPS_READ] and old.legacy_full_access


@pytest.mark.django_db
def test_the_admin_marks_legacy_keys_and_narrowing_them_clears_the_mark(superuser_client: Client) -> None:
    key, _ = api_key_create(name="old", scopes=ALL_SCOPES)
    ApiKey.objects.filter(pk=key.pk).update(legacy_full_access=True)
    listing = superuser_client.get(reverse("admin:api_apikey_changelist")).content.decode()
    assert "given every scope by migration" in listing
    response = superuser_client.post(
        reverse("admin:api_apikey_change", args=[key.pk]), {"name": "old", "scopes": ["runs"]}
    )
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.scopes == ["runs"] and not key.legacy_full_access


@pytest.mark.django_db
def test_the_admin_refuses_a_key_without_scopes(superuser_client: Client) -> None:
    response = superuser_client.post(reverse("admin:api_apikey_add"), {"name": "empty"})
    assert response.status_code == 200 and not ApiKey.objects.filter(name="empty").exists()


def test_scope_names_are_the_documented_ones() -> None:
    assert set(ALL_SCOPES) >= {
        "runs",
        "artifacts",
        "checkpoints",
        "gates:decide",
        "kb:read",
        "kb:write",
        "socials:read",
        "socials:write",
        "webhooks:read",
        "webhooks:replay",
    }
