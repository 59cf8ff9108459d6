"""Webhook test helpers: provider fixtures from JSON payloads, signed like the real senders."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from webhooks.conf import ProviderConfig
from webhooks.handlers import HANDLERS, Handler, Outcome, processed
from webhooks.models import WebhookEvent
from webhooks.services import webhook_events_process_batch

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "webhooks"

STANDARD_KEY = b"standard-webhooks-key-0123456789"
STANDARD_SECRET = "whsec_" + base64.b64encode(STANDARD_KEY).decode()
STANDARD_OLD_SECRET = "whsec_" + base64.b64encode(b"the-previous-key-that-rotated-out").decode()
KIEAI_SECRET = "kie-hmac-key-1"
KIEAI_OLD_SECRET = "kie-hmac-key-0"
UPLOAD_POST_SECRET = "upload-post-secret-1"
SHOTSTACK_TOKEN = "shotstack-callback-token-1"
ALL_SECRETS = [STANDARD_SECRET, KIEAI_SECRET, UPLOAD_POST_SECRET, SHOTSTACK_TOKEN]

TEST_PROVIDERS = {
    "kieai": ProviderConfig(
        slug="kieai",
        scheme="kieai",
        # Rotation: the old secret first, so a match on the second one is exercised.
        secrets=(KIEAI_OLD_SECRET, KIEAI_SECRET),
        signature_header="X-Webhook-Signature",
        timestamp_header="X-Webhook-Timestamp",
        tolerance=300,
        handler="kieai",
    ),
    "shotstack": ProviderConfig(
        slug="shotstack", scheme="token", secrets=(SHOTSTACK_TOKEN,), handler="shotstack"
    ),
    "upload-post": ProviderConfig(
        slug="upload-post",
        scheme="hmac-body",
        secrets=(UPLOAD_POST_SECRET,),
        signature_header="X-Signature",
        timestamp_header="X-Timestamp",
        tolerance=0,
        handler="upload-post",
    ),
    "acme": ProviderConfig(
        slug="acme",
        scheme="standard",
        secrets=(STANDARD_OLD_SECRET, STANDARD_SECRET),
        signature_header="webhook-signature",
        timestamp_header="webhook-timestamp",
        tolerance=300,
    ),
}


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def fixture_json(name: str) -> dict[str, Any]:
    return json.loads(fixture_bytes(name))


def sign_standard(
    body: bytes, *, msg_id: str = "msg_2b9c1d", timestamp: int | None = None, secret: str = STANDARD_SECRET
) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }


def sign_kieai(body: bytes, *, timestamp: int | None = None, secret: str = KIEAI_SECRET) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    task_id = json.loads(body)["data"]["taskId"]
    digest = hmac.new(secret.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256).digest()
    return {"X-Webhook-Timestamp": str(timestamp), "X-Webhook-Signature": base64.b64encode(digest).decode()}


def sign_hmac_body(body: bytes, *, secret: str = UPLOAD_POST_SECRET) -> dict[str, str]:
    return {"X-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def deliver(
    client: Client,
    provider: str,
    body: bytes,
    *,
    headers: dict[str, str] | None = None,
    query: str = "",
    content_type: str = "application/json",
    **extra: Any,
) -> Any:
    """POST like a provider; an accepted event is then processed as the webhook loop would
    (``process_webhooks`` takes it in its next batch) before this returns."""
    path = f"/api/v1/webhooks/{provider}" + (f"?{query}" if query else "")
    response = client.generic(
        "POST", path, data=body, content_type=content_type, headers=headers or {}, **extra
    )
    if response.status_code == 200 and response.json()["status"] == "accepted":
        process_waiting()
    return response


def process_waiting() -> int:
    """What the webhook loop does with the events waiting now: batches until none is left."""
    total = 0
    while handled := webhook_events_process_batch():
        total += handled
    return total


@dataclass
class Delivery:
    provider: str
    body: bytes
    headers: dict[str, str]
    query: str = ""

    def send(self, client: Client, **kwargs: Any) -> Any:
        return deliver(client, self.provider, self.body, headers=self.headers, query=self.query, **kwargs)


def kieai_delivery(run_id: str, fixture: str = "kieai_success", **changes: Any) -> Delivery:
    payload = fixture_json(fixture)
    for path, value in changes.items():
        target = payload
        *parents, leaf = path.split("__")
        for part in parents:
            target = target[part]
        target[leaf] = value
    body = json.dumps(payload).encode()
    return Delivery("kieai", body, sign_kieai(body), f"run_id={run_id}")


def upload_post_delivery(run_id: str, fixture: str = "upload_post_completed") -> Delivery:
    body = fixture_bytes(fixture)
    return Delivery("upload-post", body, sign_hmac_body(body), f"run_id={run_id}")


def shotstack_delivery(run_id: str, fixture: str = "shotstack_edit_done") -> Delivery:
    return Delivery("shotstack", fixture_bytes(fixture), {}, f"run_id={run_id}&token={SHOTSTACK_TOKEN}")


@pytest.fixture(autouse=True)
def webhook_providers(settings: Any) -> dict[str, ProviderConfig]:
    settings.WEBHOOK_PROVIDERS = dict(TEST_PROVIDERS)
    settings.WEBHOOK_DLQ_BACKOFF_BASE = 60
    settings.WEBHOOK_DLQ_BACKOFF_CAP = 3600
    settings.WEBHOOK_DLQ_JITTER = 0.1
    settings.WEBHOOK_DLQ_MAX_ATTEMPTS = 8
    settings.WEBHOOK_KIEAI_URL_HOSTS = []
    return settings.WEBHOOK_PROVIDERS


@pytest.fixture
def test_handler(settings: Any) -> Iterator[Callable[[str, Handler], None]]:
    """Register a handler for an extra ``standard`` provider (an extension point, not a mock)."""
    added: list[str] = []

    def _register(slug: str, handler: Handler) -> None:
        HANDLERS[f"test:{slug}"] = handler
        providers = dict(settings.WEBHOOK_PROVIDERS)
        providers[slug] = ProviderConfig(
            slug=slug, scheme="standard", secrets=(STANDARD_SECRET,), handler=f"test:{slug}"
        )
        settings.WEBHOOK_PROVIDERS = providers
        added.append(f"test:{slug}")

    yield _register
    for name in added:
        HANDLERS.pop(name, None)


class Counting:
    """A test provider's handler: counts each event's effects (one per event, or it's a bug)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.lock = threading.Lock()

    def __call__(self, event: WebhookEvent) -> Outcome:
        with self.lock:
            self.calls[event.idempotency_key] += 1
        return processed()


@pytest.fixture
def counting(test_handler: Callable[[str, Handler], None]) -> Counting:
    """The ``counting`` provider (Standard Webhooks) with a :class:`Counting` handler."""
    handler = Counting()
    test_handler("counting", handler)
    return handler
