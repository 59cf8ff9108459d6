"""Provider callbacks take a shorter middleware chain (myloware/wsgi.py), at the real server.

The judge is gunicorn serving ``myloware.wsgi:application`` as `make run` does: a callback is
accepted and stored through the intake chain, which keeps the edge (security headers, host
validation, JSON errors) and leaves out what only browsers use (no session, no CSRF cookie);
every other request still takes the full chain.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from myloware.wsgi import intake_matcher
from tests.webhooks.conftest import STANDARD_SECRET, fixture_bytes, sign_standard
from webhooks.models import WebhookEvent


@pytest.fixture
def provider_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A Standard-Webhooks sender ``chain`` in the environment gunicorn is started with."""
    monkeypatch.setenv("WEBHOOK_STANDARD_PROVIDERS", "chain")
    monkeypatch.setenv("WEBHOOK_SECRET_CHAIN", STANDARD_SECRET)
    yield


@pytest.mark.http
@pytest.mark.django_db(transaction=True)
def test_callbacks_take_the_intake_chain_and_everything_else_the_full_one(
    provider_env: None, gunicorn_url: str
) -> None:
    body = fixture_bytes("standard_event")
    with httpx.Client(base_url=gunicorn_url, timeout=30) as client:
        signed = {**sign_standard(body, msg_id="chain-1"), "content-type": "application/json"}
        accepted = client.post("/api/v1/webhooks/chain", content=body, headers=signed)
        assert accepted.status_code == 200 and accepted.json()["status"] == "accepted", accepted.text
        assert WebhookEvent.objects.filter(provider="chain", idempotency_key="chain-1").exists()
        # The edge is there: security headers; nothing of the browser chain: no cookie, no Vary.
        assert accepted.headers["x-content-type-options"] == "nosniff"
        assert (
            "set-cookie" not in accepted.headers and "cookie" not in accepted.headers.get("vary", "").lower()
        )
        # Host validation (ALLOWED_HOSTS) still refuses, in the JSON error shape.
        forged_host = client.post("/api/v1/webhooks/chain", content=body, headers={"host": "evil.example"})
        assert forged_host.status_code == 400 and forged_host.json()["error"]["status"] == 400
        # An unknown provider is still the intake view's JSON 404.
        unknown = client.post("/api/v1/webhooks/nobody", content=body)
        assert unknown.status_code == 404 and unknown.json()["error"]["status"] == 404
        # The console still runs the full chain: its login page sets the CSRF cookie.
        login = client.get("/admin/login/")
        assert login.status_code == 200 and "csrftoken" in login.cookies


@pytest.mark.parametrize(
    ("method", "path", "intake"),
    [
        ("POST", "/api/v1/webhooks/kieai", True),
        ("POST", "/api/v1/webhooks/my-sender", True),
        ("GET", "/api/v1/webhooks/kieai", False),
        ("POST", "/api/v1/webhooks/events", False),
        ("POST", "/api/v1/webhooks/dlq", False),
        ("POST", "/api/v1/webhooks/dlq/7d3f0c8e-8d2b-4b8e-9a43-1f1f4c2f7a10/replay", False),
        ("POST", "/api/v1/webhooks/", False),
        ("POST", "/api/v1/runs", False),
    ],
)
def test_only_posts_to_the_intake_url_take_the_intake_chain(method: str, path: str, intake: bool) -> None:
    environ: dict[str, Any] = {"REQUEST_METHOD": method, "PATH_INFO": path}
    assert intake_matcher()(environ) is intake
