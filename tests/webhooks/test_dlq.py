"""Dead-letter queue: one entry per event, backoff with jitter, dead after max attempts, replay."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from artifacts.models import Artifact
from tests.race import race
from tests.webhooks.conftest import (
    UPLOAD_POST_SECRET,
    deliver,
    fixture_bytes,
    kieai_delivery,
    sign_hmac_body,
    sign_standard,
    upload_post_delivery,
)
from webhooks.handlers import Outcome, processed
from webhooks.models import EventStatus, WebhookDLQ, WebhookEvent
from webhooks.services import (
    backoff_delay,
    dlq_discard,
    dlq_error_groups,
    dlq_park,
    dlq_replay,
    dlq_replay_due,
    dlq_replay_group,
    webhook_events_process_batch,
    webhook_receive,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


class Flaky:
    """A handler that raises until told to succeed, counting its calls (a test provider)."""

    def __init__(self) -> None:
        self.fail = True
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, event: WebhookEvent) -> Outcome:
        with self.lock:
            self.calls += 1
        if self.fail:
            raise RuntimeError(
                f"upstream exploded: GET https://api.example.com/v?token=abc123secret key {UPLOAD_POST_SECRET}"
            )
        return processed()


@pytest.fixture
def flaky(test_handler: Any) -> Flaky:
    handler = Flaky()
    test_handler("flaky", handler)
    return handler


def receive_flaky(msg_id: str = "msg_1", *, now: datetime = T0) -> WebhookEvent:
    """Store a valid event for the flaky provider and run its processing at ``now``."""
    body = fixture_bytes("standard_event")
    headers = sign_standard(body, msg_id=msg_id, timestamp=int(now.timestamp()))
    receipt = webhook_receive(provider="flaky", body=body, headers=headers, query={}, now=now)
    assert webhook_events_process_batch(now=now) == 1
    return WebhookEvent.objects.get(pk=receipt.event_id)


def test_handler_raising_creates_a_dlq_entry_with_backoff(flaky: Flaky) -> None:
    event = receive_flaky()
    assert event.status == EventStatus.FAILED
    entry = WebhookDLQ.objects.get()
    assert entry.event_id == event.pk
    assert (entry.provider, entry.idempotency_key) == ("flaky", "msg_1")
    assert bytes(entry.payload) == bytes(event.payload)
    assert entry.retry_count == 0
    assert entry.error_class == "builtins.RuntimeError"
    assert "upstream exploded" in entry.error
    for secret in ("abc123secret", UPLOAD_POST_SECRET):
        assert secret not in entry.error + entry.traceback  # secrets redacted
    assert "Traceback (most recent call last)" in entry.traceback
    assert entry.last_error_at == T0
    # base 60 s * 2**0 with ±10 % jitter
    assert T0 + timedelta(seconds=54) <= entry.next_retry_at <= T0 + timedelta(seconds=66)
    assert not entry.is_dead


def test_backoff_doubles_with_jitter_up_to_the_cap(settings: Any) -> None:
    settings.WEBHOOK_DLQ_JITTER = 0
    assert [backoff_delay(n).total_seconds() for n in range(8)] == [60, 120, 240, 480, 960, 1920, 3600, 3600]
    settings.WEBHOOK_DLQ_JITTER = 0.1
    delays = {backoff_delay(3).total_seconds() for _ in range(50)}
    assert all(432 <= d <= 528 for d in delays)
    assert len(delays) > 1  # jitter spreads retries


def test_failed_replays_reschedule_with_growing_delay_then_park_as_dead(flaky: Flaky, settings: Any) -> None:
    settings.WEBHOOK_DLQ_JITTER = 0
    receive_flaky()
    now = T0
    expected_delays = [120, 240, 480, 960, 1920, 3600]
    for retry, delay in enumerate(expected_delays, start=1):
        now = WebhookDLQ.objects.get().next_retry_at
        results = dlq_replay_due(actor="test", now=now)
        assert [r.outcome for r in results] == ["failed"]
        entry = WebhookDLQ.objects.get()
        assert entry.retry_count == retry
        assert entry.next_retry_at == now + timedelta(seconds=delay)
    now = WebhookDLQ.objects.get().next_retry_at
    assert [r.outcome for r in dlq_replay_due(actor="test", now=now)] == ["dead"]  # 8th attempt
    entry = WebhookDLQ.objects.get()
    assert entry.is_dead and entry.next_retry_at is None and entry.retry_count == 7
    assert flaky.calls == 8
    # Dead entries are never retried automatically, however late it gets.
    assert dlq_replay_due(actor="test", now=now + timedelta(days=30)) == []
    assert flaky.calls == 8


def test_entries_are_not_replayed_before_they_are_due(flaky: Flaky) -> None:
    receive_flaky()
    assert dlq_replay_due(actor="test", now=T0 + timedelta(seconds=30)) == []
    assert flaky.calls == 1


def test_replay_success_processes_the_stored_event_and_removes_the_entry(flaky: Flaky) -> None:
    event = receive_flaky()
    flaky.fail = False
    results = dlq_replay_due(actor="test", now=T0 + timedelta(minutes=5))
    assert [(r.outcome, r.event_id) for r in results] == [("processed", str(event.pk))]
    event.refresh_from_db()
    assert (event.status, event.attempts, event.error) == (EventStatus.PROCESSED, 2, None)
    assert not WebhookDLQ.objects.exists()
    assert WebhookEvent.objects.count() == 1  # replay never re-posts the request


def test_replay_really_processes_instead_of_answering_duplicate(client: Client, make_run: Any) -> None:
    """A replay processes the stored event: re-posting the request would get "duplicate" and drop the entry."""
    delivery = kieai_delivery("run_not_yet_created")
    event = WebhookEvent.objects.get(pk=delivery.send(client).json()["event_id"])
    assert event.status == EventStatus.FAILED  # the run does not exist (yet)
    entry = WebhookDLQ.objects.get()
    run = make_run(run_id="run_not_yet_created", result={"videos": [{"status": "pending"}]})
    result = dlq_replay(entry_id=str(entry.pk), actor="test")
    assert result.outcome == "processed"
    assert Artifact.objects.filter(run_id=run.run_id, type="clip").count() == 1
    run.refresh_from_db()
    assert run.result["videos"][0]["status"] == "generated"
    assert not WebhookDLQ.objects.exists()


def test_duplicate_of_a_failed_event_makes_no_second_dlq_entry(client: Client) -> None:
    delivery = upload_post_delivery("run_missing")
    first = delivery.send(client).json()
    second = delivery.send(client).json()
    assert second == {"status": "duplicate", "event_id": first["event_id"]}
    assert WebhookDLQ.objects.count() == 1
    assert WebhookDLQ.objects.get().retry_count == 0
    assert WebhookEvent.objects.get().attempts == 1


def test_a_second_failure_updates_the_one_entry(flaky: Flaky) -> None:
    receive_flaky()
    dlq_replay_due(actor="test", now=T0 + timedelta(hours=1))
    assert WebhookDLQ.objects.count() == 1
    assert WebhookDLQ.objects.get().retry_count == 1


def test_replay_of_a_dead_entry_by_an_operator(flaky: Flaky, settings: Any) -> None:
    settings.WEBHOOK_DLQ_MAX_ATTEMPTS = 1
    receive_flaky()
    entry = WebhookDLQ.objects.get()
    assert entry.is_dead
    assert dlq_replay(entry_id=str(entry.pk), actor="test").outcome == "dead"  # still failing: stays dead
    flaky.fail = False
    assert dlq_replay(entry_id=str(entry.pk), actor="test").outcome == "processed"
    assert not WebhookDLQ.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_replay_workers_at_once_process_each_entry_once(test_handler: Any) -> None:
    calls: dict[str, int] = {}
    lock = threading.Lock()
    failing = {"on": True}

    def slow(event: WebhookEvent) -> Outcome:
        if failing["on"]:
            raise RuntimeError("not yet")
        with lock:
            calls[event.idempotency_key] = calls.get(event.idempotency_key, 0) + 1
        time.sleep(0.02)  # hold the claim long enough for the other worker to try it
        return processed()

    test_handler("slow", slow)
    body = fixture_bytes("standard_event")
    for i in range(12):
        headers = sign_standard(body, msg_id=f"m{i}", timestamp=int(T0.timestamp()))
        webhook_receive(provider="slow", body=body, headers=headers, query={}, now=T0)
    while webhook_events_process_batch(now=T0):  # the webhook loop, on the clock given here
        pass
    assert WebhookDLQ.objects.count() == 12
    assert set(WebhookDLQ.objects.values_list("last_error_at", flat=True)) == {T0}
    failing["on"] = False
    replays = race(2, lambda i: dlq_replay_due(actor=f"worker-{i}", now=T0 + timedelta(hours=1)))
    outcomes = [result.outcome for results in replays for result in results]
    assert calls == {f"m{i}": 1 for i in range(12)}
    assert sorted(outcomes) == ["processed"] * 12
    assert not WebhookDLQ.objects.exists()
    assert set(WebhookEvent.objects.values_list("attempts", flat=True)) == {2}


def test_park_and_discard(flaky: Flaky) -> None:
    event = receive_flaky()
    entry = WebhookDLQ.objects.get()
    assert dlq_park(entry_id=str(entry.pk), actor="admin:op", now=T0) is True
    assert dlq_park(entry_id=str(entry.pk), actor="admin:op", now=T0) is False
    assert WebhookDLQ.objects.get().is_dead
    assert dlq_discard(entry_id=str(entry.pk), actor="admin:op") is True
    assert not WebhookDLQ.objects.exists()
    event.refresh_from_db()
    assert event.status == EventStatus.FAILED
    assert "discarded from the dead-letter queue by admin:op" in event.error


def test_error_groups_and_replaying_a_whole_group(flaky: Flaky, client: Client) -> None:
    for i in range(3):
        receive_flaky(f"g{i}")
    upload_post_delivery("run_missing").send(client)
    groups = dlq_error_groups()
    assert [(g["provider"], g["occurrences"]) for g in groups] == [("flaky", 3), ("upload-post", 1)]
    flaky.fail = False
    results = dlq_replay_group(provider="flaky", error=groups[0]["error"], actor="admin:op")
    assert [r.outcome for r in results] == ["processed"] * 3
    assert list(WebhookDLQ.objects.values_list("provider", flat=True)) == ["upload-post"]


def test_dlq_payload_is_the_stored_body(client: Client) -> None:
    body = fixture_bytes("upload_post_completed")
    deliver(client, "upload-post", body, headers=sign_hmac_body(body), query="run_id=run_missing")
    assert bytes(WebhookDLQ.objects.get().payload) == body
