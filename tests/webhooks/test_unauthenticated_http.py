"""Unauthenticated deliveries over real HTTP against gunicorn (as `make run` and production start
it): a forged flood costs bounded space and is refused before its bodies are read, genuine
deliveries from elsewhere pass untouched, a rejected delivery never reaches a run."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.db import connection

from myloware.api.models import ALL_SCOPES
from myloware.api.services import api_key_create
from runs.models import Run
from tests.webhooks.conftest import KIEAI_SECRET, STANDARD_SECRET, kieai_delivery, sign_standard
from webhooks.models import UNKNOWN_PROVIDER, EventStatus, WebhookEvent
from webhooks.services import webhook_events_process_batch

pytestmark = [pytest.mark.http, pytest.mark.django_db(transaction=True)]

BUDGET = 64 * 1024
LIMIT = 5
FORGER = "127.0.0.2"  # loopback: every 127/8 address is ours, so one machine has two senders


@pytest.fixture
def server(gunicorn_url: str) -> str:
    return gunicorn_url


@pytest.fixture(autouse=True)
def intake_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """gunicorn's settings (set before it starts): providers, a small budget and limit."""
    for name, value in {
        "WEBHOOK_STANDARD_PROVIDERS": "acme",
        "WEBHOOK_SECRET_ACME": STANDARD_SECRET,
        "WEBHOOK_SECRET_KIEAI": KIEAI_SECRET,
        "WEBHOOK_REJECTED_BODY_BUDGET": str(BUDGET),
        "WEBHOOK_FAILURE_LIMIT": str(LIMIT),
        "WEBHOOK_FAILURE_WINDOW": "300",
    }.items():
        monkeypatch.setenv(name, value)


def client_from(base: str, address: str) -> httpx.Client:
    return httpx.Client(base_url=base, timeout=30, transport=httpx.HTTPTransport(local_address=address))


def forged_body(size: int) -> bytes:
    return json.dumps({"type": "forged", "pad": "x" * size}).encode()


def forged_post(client: httpx.Client, tag: str, size: int = 32 * 1024) -> httpx.Response:
    body = forged_body(size)
    headers = {**sign_standard(body, msg_id=f"forged-{tag}"), "content-type": "application/json"}
    headers["webhook-signature"] = "v1,Zm9yZ2Vk"
    return client.post("/api/v1/webhooks/acme", content=body, headers=headers)


def genuine_post(client: httpx.Client, tag: str) -> httpx.Response:
    body = json.dumps({"type": "genuine", "tag": tag}).encode()
    headers = {**sign_standard(body, msg_id=f"genuine-{tag}"), "content-type": "application/json"}
    return client.post("/api/v1/webhooks/acme", content=body, headers=headers)


def stored_rejected_bytes() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(octet_length(payload)), 0) FROM webhook_events WHERE status = 'rejected'"
        )
        return int(cursor.fetchone()[0])


def test_a_forged_flood_is_bounded_and_genuine_deliveries_pass(server: str) -> None:
    forged: list[httpx.Response] = []
    genuine: list[httpx.Response] = []

    def flood() -> None:
        with client_from(server, FORGER) as client:
            forged.extend(forged_post(client, f"f{n}") for n in range(40))

    flooder = threading.Thread(target=flood)
    flooder.start()
    with client_from(server, "127.0.0.1") as client:
        genuine.extend(genuine_post(client, f"g{n}") for n in range(15))
    flooder.join()

    assert [r.status_code for r in forged] == [401] * LIMIT + [429] * (40 - LIMIT)
    for refused in forged[LIMIT:]:
        assert 1 <= int(refused.headers["Retry-After"]) <= 300
        assert refused.headers["content-type"].startswith("application/json")
        assert refused.json()["error"]["code"] == "rate_limited"
    assert all(r.status_code == 200 and r.json()["status"] == "accepted" for r in genuine)
    done = WebhookEvent.objects.filter(pk__in=[r.json()["event_id"] for r in genuine])
    assert sorted(done.values_list("status", flat=True)) == [EventStatus.RECEIVED] * 15
    assert (
        webhook_events_process_batch(limit=15) == 15
    )  # what the webhook loop does next: all of them processed
    assert sorted(done.values_list("status", flat=True)) == [EventStatus.IGNORED] * 15
    # What the flood left: LIMIT rows, bodies within the budget, the rest size and SHA-256 only.
    rejected = WebhookEvent.objects.filter(status=EventStatus.REJECTED)
    assert rejected.count() == LIMIT
    assert stored_rejected_bytes() <= BUDGET
    kept = BUDGET // len(forged_body(32 * 1024))
    assert rejected.filter(payload_dropped_at__isnull=True).count() == kept
    assert stored_rejected_bytes() == kept * len(forged_body(32 * 1024))
    assert set(rejected.values_list("client_address", flat=True)) == {FORGER}


def raw_exchange(base: str, request: bytes, *, source: str) -> bytes:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10, source_address=(source, 0)) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_a_refused_sender_is_answered_before_its_body_is_sent(server: str) -> None:
    with client_from(server, FORGER) as client:
        assert [forged_post(client, f"b{n}", size=100).status_code for n in range(LIMIT)] == [401] * LIMIT
    # Headers announcing a 1 MB body, and no body at all: the answer comes anyway.
    head = (
        b"POST /api/v1/webhooks/acme HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000000\r\nConnection: close\r\n\r\n"
    )
    answer = raw_exchange(server, head, source=FORGER)
    status, _, rest = answer.partition(b"\r\n")
    assert status.startswith(b"HTTP/1.1 429"), answer[:300]
    headers, _, body = rest.partition(b"\r\n\r\n")
    assert b"retry-after:" in headers.lower()
    assert json.loads(body)["error"]["code"] == "rate_limited"
    assert WebhookEvent.objects.count() == LIMIT


@pytest.fixture
def api(server: str) -> Iterator[httpx.Client]:
    key = api_key_create(name="story-reader", scopes=ALL_SCOPES)[1]
    with httpx.Client(base_url=server, headers={"X-API-Key": key}, timeout=30) as client:
        yield client


def test_a_rejected_delivery_never_reaches_the_run_it_names(
    server: str, api: httpx.Client, make_run: Any
) -> None:
    run = make_run(status="running")
    before = Run.objects.get(pk=run.run_id)
    delivery = kieai_delivery(run.run_id)
    with client_from(server, FORGER) as client:
        headers = {**delivery.headers, "content-type": "application/json", "X-Webhook-Signature": "Zm9yZ2Vk"}
        rejected = client.post(
            f"/api/v1/webhooks/kieai?{delivery.query}", content=delivery.body, headers=headers
        )
    assert rejected.status_code == 401
    event = WebhookEvent.objects.get(pk=rejected.json()["error"]["details"]["event_id"])
    assert event.run_id is None
    timeline = api.get(f"/api/v1/runs/{run.run_id}/timeline").json()["events"]
    assert [row for row in timeline if row["kind"] == "webhook"] == []
    after = Run.objects.get(pk=run.run_id)
    assert (after.status, after.result, after.updated_at) == (before.status, before.result, before.updated_at)
    # The genuine callback for that run does reach it.
    with client_from(server, "127.0.0.1") as client:
        headers = {**delivery.headers, "content-type": "application/json"}
        accepted = client.post(
            f"/api/v1/webhooks/kieai?{delivery.query}", content=delivery.body, headers=headers
        )
    assert accepted.status_code == 200, accepted.text
    timeline = api.get(f"/api/v1/runs/{run.run_id}/timeline").json()["events"]
    assert [row["details"]["event_id"] for row in timeline if row["kind"] == "webhook"] == [
        accepted.json()["event_id"]
    ]


def test_an_unknown_provider_is_a_json_404_recorded_in_one_bucket(server: str) -> None:
    with client_from(server, FORGER) as client:
        answer = client.post(
            "/api/v1/webhooks/wp-login", content=b"x" * 5000, headers={"content-type": "text/html"}
        )
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
    event = WebhookEvent.objects.get()
    assert (event.provider, event.payload_size, event.error) == (
        UNKNOWN_PROVIDER,
        5000,
        "unknown provider 'wp-login'",
    )
