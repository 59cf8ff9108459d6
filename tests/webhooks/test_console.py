"""The webhook and DLQ pages for debugging: bytes as received, why a signature failed, Replay and
Reprocess buttons (POST + CSRF), and test deliveries through the real intake."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from myloware.admin_utils import raw_body
from tests.webhooks.conftest import deliver, fixture_bytes, process_waiting, sign_kieai, sign_standard
from webhooks.handlers import is_own_media, processed
from webhooks.models import EventStatus, WebhookDLQ, WebhookEvent
from webhooks.services import webhook_test_delivery

pytestmark = pytest.mark.django_db

# Deliberately not what json.dumps would write: spacing and key order as the sender chose.
ODD_JSON = b'{"type":"order.created",   "data": {"b": 2, "a": 1}}\n'


def _event_page(client: Client, event: WebhookEvent) -> str:
    return client.get(reverse("admin:webhooks_webhookevent_change", args=[event.pk])).content.decode()


def test_the_event_page_shows_the_body_byte_for_byte_with_size_and_sha256(operator_client: Client) -> None:
    deliver(operator_client, "acme", ODD_JSON, headers=sign_standard(ODD_JSON))
    html = _event_page(operator_client, WebhookEvent.objects.get())
    assert (
        "{&quot;type&quot;:&quot;order.created&quot;,   &quot;data&quot;: {&quot;b&quot;: 2, &quot;a&quot;: 1}}"
        in html
    )
    assert f"{len(ODD_JSON)} bytes" in html and hashlib.sha256(ODD_JSON).hexdigest() in html


def test_a_body_that_is_not_text_is_shown_as_hex() -> None:
    html = raw_body(b"\x00\xffPK\x03\x04")
    assert "not UTF-8: hex" in html and "00 ff 50 4b 03 04" in html and "6 bytes" in html


def test_the_event_page_says_why_a_signature_failed(operator_client: Client) -> None:
    body = fixture_bytes("kieai_success")
    stale = sign_kieai(body, timestamp=int(time.time()) - 900)
    deliver(operator_client, "kieai", body, headers=stale, query="run_id=run_x")
    html = _event_page(operator_client, WebhookEvent.objects.get())
    assert "invalid — stale" in html
    assert "X-Webhook-Timestamp timestamp" in html and "s before the moment it was received" in html
    assert "the tolerance is 300 s" in html
    assert "kie.ai: base64 HMAC-SHA256" in html and "header X-Webhook-Signature" in html

    other = body.replace(b'"taskId"', b'"unused": 1, "taskId"')  # another delivery, not a duplicate
    wrong = {**sign_kieai(other), "X-Webhook-Signature": "A" * 43 + "="}
    deliver(operator_client, "kieai", other, headers=wrong, query="run_id=run_y")
    mismatch = WebhookEvent.objects.get(signature_reason="mismatch")
    assert "no configured secret (2) produced this signature" in _event_page(operator_client, mismatch)


def test_reprocess_button_posts_with_csrf_and_runs_the_service(
    operator: Any, operator_client: Client, test_handler: Any
) -> None:
    calls: list[str] = []
    test_handler("acme", lambda event: calls.append(str(event.pk)) or processed())
    body = fixture_bytes("standard_event")
    deliver(operator_client, "acme", body, headers=sign_standard(body))
    event = WebhookEvent.objects.get()
    assert 'id="reprocess-button"' in _event_page(operator_client, event)
    url = reverse("admin:webhooks_webhookevent_reprocess", args=[event.pk])

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(operator)
    assert strict.post(url).status_code == 403
    assert operator_client.get(url).status_code == 405  # POST only
    assert len(calls) == 1

    response = operator_client.post(url, follow=True)
    assert "Reprocessed: processed" in response.content.decode()
    assert len(calls) == 2
    event.refresh_from_db()
    assert event.attempts == 2


def test_replay_button_on_a_dead_letter_entry(operator_client: Client, test_handler: Any) -> None:
    state = {"fail": True}

    def handler(event: WebhookEvent) -> Any:
        if state["fail"]:
            raise RuntimeError("upstream exploded")
        return processed()

    test_handler("acme", handler)
    body = fixture_bytes("standard_event")
    deliver(operator_client, "acme", body, headers=sign_standard(body))
    entry = WebhookDLQ.objects.get()
    page = operator_client.get(reverse("admin:webhooks_webhookdlq_change", args=[entry.pk])).content.decode()
    assert 'id="replay-button"' in page
    # One time format with seconds and the zone (not "8 a.m.").
    assert entry.next_retry_at.strftime("%Y-%m-%d %H:%M:%S UTC") in page

    state["fail"] = False
    response = operator_client.post(reverse("admin:webhooks_webhookdlq_replay", args=[entry.pk]), follow=True)
    assert "Replayed 1 entry: 1 succeeded" in response.content.decode()
    assert not WebhookDLQ.objects.exists()
    assert WebhookEvent.objects.get().status == EventStatus.PROCESSED


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("provider", ["kieai", "shotstack", "upload-post", "acme"])
def test_a_test_delivery_is_signed_and_accepted_by_the_real_intake(live_server: Any, provider: str) -> None:
    result = webhook_test_delivery(provider=provider, base_url=live_server.url, actor="admin:test")
    assert (result.http_status, result.outcome) == (200, "accepted"), result
    assert process_waiting() == 1  # what the webhook loop does next
    event = WebhookEvent.objects.get(pk=result.event_id)
    assert (event.provider, event.signature_status) == (provider, "valid")
    # Stored like any delivery, never processed: the handler would look for a run.
    assert event.status == EventStatus.IGNORED and "test delivery" in (event.error or "")


def test_the_test_delivery_page_lists_the_configured_providers(operator_client: Client) -> None:
    html = operator_client.get(reverse("admin:webhooks_webhookevent_test_delivery")).content.decode()
    for slug in ("kieai", "shotstack", "upload-post", "acme"):
        assert f'id="send-test-{slug}"' in html


def test_own_media_is_trusted_only_under_its_prefix(settings: Any) -> None:
    settings.WEBHOOK_OWN_MEDIA_PREFIXES = ["http://127.0.0.1:8000/static/demo/"]
    assert is_own_media("http://127.0.0.1:8000/static/demo/clip.webm")
    assert not is_own_media("http://127.0.0.1:8000/static/demo/../../admin/")
    assert not is_own_media("http://127.0.0.1:6379/static/demo/clip.webm")
    assert not is_own_media("http://127.0.0.1:8000/static/other.webm")
    assert not is_own_media("http://127.0.0.1:8000/static/demo/clip.webm?x=1")
