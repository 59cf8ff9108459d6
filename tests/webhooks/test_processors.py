"""Processors: the event row is the queue, drained under slot leases (docs/webhooks.md)."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

import pytest
from django.test import TestCase
from django.utils import timezone

from artifacts.models import Artifact
from myloware.workers import heartbeat
from myloware.workers.models import WorkerHeartbeat
from runs.models import Run
from tests.race import race, raised
from tests.webhooks.conftest import Counting, fixture_bytes, kieai_delivery, sign_standard
from webhooks.models import EventStatus, WebhookDLQ, WebhookEvent, WebhookProcessorLease
from webhooks.services import webhook_events_drain, webhook_processing_wake, webhook_receive
from webhooks.tasks import wake_processors

pytestmark = pytest.mark.django_db

ROUNDS = 5
EVENTS = 40


def drain_racing(processors: int) -> list[Any]:
    """``processors`` processors, each holding the lease of its own slot, drain at once; their
    outcomes (events processed, or the exception raised)."""
    WebhookProcessorLease.objects.all().delete()
    owners = [str(uuid.uuid4()) for _ in range(processors)]
    for slot, owner in enumerate(owners, start=1):
        WebhookProcessorLease.objects.create(
            slot=slot, owner=owner, expires_at=timezone.now() + timedelta(minutes=1)
        )
    return race(
        processors,
        lambda index: webhook_events_drain(slot=index + 1, owner=owners[index]),
        connect_first=True,
    )


def occupy_all_slots(settings: Any, *, expires_in: timedelta = timedelta(minutes=5)) -> None:
    """Leases held by someone else: the intake then wakes nobody and its events wait."""
    for slot in range(1, settings.WEBHOOK_PROCESSORS + 1):
        WebhookProcessorLease.objects.update_or_create(
            slot=slot, defaults={"owner": uuid.uuid4(), "expires_at": timezone.now() + expires_in}
        )


def receive(msg_id: str) -> str:
    """Store a delivery and run its on-commit wake (in a non-transactional test the test's
    transaction never commits, so the callbacks are run here)."""
    body = fixture_bytes("standard_event")
    headers = sign_standard(body, msg_id=msg_id)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return webhook_receive(provider="counting", body=body, headers=headers, query={}).event_id


def test_wake_takes_a_free_slot_and_nothing_while_all_are_busy(settings: Any) -> None:
    settings.WEBHOOK_PROCESSORS = 2
    occupy_all_slots(settings)
    assert webhook_processing_wake() is None
    # An expired lease (its processor died) is taken over.
    WebhookProcessorLease.objects.filter(slot=2).update(expires_at=timezone.now() - timedelta(seconds=1))
    # The (sync) task runs inline, drains the empty queue and frees the slot again.
    assert webhook_processing_wake() == 2
    assert list(WebhookProcessorLease.objects.values_list("slot", flat=True)) == [1]


def test_an_event_stored_while_every_slot_is_busy_waits_then_the_wake_job_starts_a_processor(
    counting: Counting, settings: Any
) -> None:
    occupy_all_slots(settings)
    event_id = receive("waiting")
    assert WebhookEvent.objects.get(pk=event_id).status == EventStatus.RECEIVED
    assert wake_processors() is None  # every slot is held: the event waits
    # The processors died (their worker was frozen and replaced): their leases expire and no
    # delivery comes to wake one.
    WebhookProcessorLease.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert wake_processors() == 1  # run_workers' job, every WEBHOOK_WAKE_SECONDS
    assert WebhookEvent.objects.get(pk=event_id).status == EventStatus.PROCESSED
    assert counting.calls == {"waiting": 1}


def test_the_intake_processes_its_event_through_a_processor_that_frees_its_slot(counting: Counting) -> None:
    event_id = receive("direct")
    event = WebhookEvent.objects.get(pk=event_id)
    assert (event.status, event.attempts) == (EventStatus.PROCESSED, 1)
    assert not WebhookProcessorLease.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_concurrent_processors_process_each_event_exactly_once(
    counting: Counting, settings: Any, round_number: int
) -> None:
    settings.WEBHOOK_PROCESSORS = 4
    occupy_all_slots(settings)
    ids = [receive(f"r{round_number}_{i}") for i in range(EVENTS)]
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {EventStatus.RECEIVED}
    counts = drain_racing(4)
    assert not raised(counts)
    assert sum(counts) == EVENTS
    assert counting.calls == Counter({f"r{round_number}_{i}": 1 for i in range(EVENTS)})
    events = WebhookEvent.objects.filter(pk__in=ids)
    assert set(events.values_list("status", "attempts")) == {(EventStatus.PROCESSED, 1)}
    assert not WebhookProcessorLease.objects.exists()  # every processor freed its slot


@pytest.mark.django_db(transaction=True)
def test_deliveries_racing_from_many_threads_are_all_processed_once(
    counting: Counting, settings: Any
) -> None:
    settings.WEBHOOK_PROCESSORS = 2
    assert not raised(race(8, lambda number: [receive(f"t{number}_{i}") for i in range(10)]))
    assert counting.calls == Counter({f"t{n}_{i}": 1 for n in range(8) for i in range(10)})
    assert set(WebhookEvent.objects.values_list("status", "attempts")) == {(EventStatus.PROCESSED, 1)}
    assert not WebhookProcessorLease.objects.exists()


def test_a_processor_whose_slot_was_taken_over_stops_and_leaves_the_new_lease(
    counting: Counting, settings: Any
) -> None:
    """Its lease expired (a long pause) and another processor took the slot: the old one must
    not keep draining as a third processor, nor free the new owner's slot."""
    settings.WEBHOOK_PROCESSORS = 1
    occupy_all_slots(settings)
    event_id = receive("taken-over")
    successor = WebhookProcessorLease.objects.get(slot=1).owner
    assert webhook_events_drain(slot=1, owner=str(uuid.uuid4())) == 0
    assert WebhookProcessorLease.objects.get(slot=1).owner == successor
    assert WebhookEvent.objects.get(pk=event_id).status == EventStatus.RECEIVED  # the successor's


def test_a_processor_beats_for_its_worker_and_bounds_its_busy_time_by_the_lease(
    counting: Counting, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside a watched worker a processor stamps the worker's heartbeat when it renews its
    lease, with ``busy_until`` one lease ahead instead of the task's whole timeout: frozen, it
    stops looking busy within one lease (the watchdog then judges it by its last beat)."""
    settings.WEBHOOK_PROCESSOR_LEASE = 10
    occupy_all_slots(settings)
    receive("beating")
    WebhookProcessorLease.objects.all().delete()
    monkeypatch.setattr(heartbeat, "_cluster", "processor-test")
    owner = str(uuid.uuid4())
    WebhookProcessorLease.objects.create(
        slot=1, owner=owner, expires_at=timezone.now() + timedelta(seconds=10)
    )
    assert webhook_events_drain(slot=1, owner=owner) == 1
    row = WorkerHeartbeat.objects.get(cluster="processor-test")
    assert row.beat_at is not None and row.busy_until is not None
    assert row.busy_until - row.beat_at == timedelta(seconds=10)
    assert row.busy_until < row.beat_at + timedelta(seconds=settings.Q_CLUSTER["timeout"])


RUNS = 5
CLIPS = 8


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_processors_racing_over_batches_that_share_runs_lose_no_update_and_never_deadlock(
    make_run: Any, settings: Any, round_number: int
) -> None:
    """Real kie.ai handlers (each locks its run to patch ``result.videos``), events of 5 runs in
    a random order, small batches spanning several runs, 4 processors at once: every clip lands
    once in its run's result (no lost update), each event is processed once, and no processor
    fails on a deadlock (the batch's runs are locked up front, in one order)."""
    settings.WEBHOOK_PROCESSORS = 4
    settings.WEBHOOK_PROCESSOR_BATCH = 3
    occupy_all_slots(settings)
    runs = [make_run().run_id for _ in range(RUNS)]
    clips = [(run_id, index) for run_id in runs for index in range(CLIPS)]
    random.Random(round_number).shuffle(clips)
    for run_id, index in clips:
        delivery = kieai_delivery(
            run_id, data__taskId=f"{run_id}_{index}", data__metadata={"videoIndex": index}
        )
        with TestCase.captureOnCommitCallbacks(execute=True):
            webhook_receive(
                provider="kieai", body=delivery.body, headers=delivery.headers, query={"run_id": run_id}
            )
    assert not raised(drain_racing(4))  # a deadlock would surface here
    assert set(WebhookEvent.objects.values_list("status", "attempts")) == {(EventStatus.PROCESSED, 1)}
    for run_id in runs:
        videos = Run.objects.get(pk=run_id).result["videos"]
        assert [(v["status"], v["taskId"]) for v in videos] == [
            ("generated", f"{run_id}_{index}") for index in range(CLIPS)
        ]
        assert Artifact.objects.filter(run_id=run_id, type="clip").count() == CLIPS


def test_a_batch_sends_a_missing_run_and_an_untrusted_url_to_the_dlq_with_their_errors(
    make_run: Any, settings: Any
) -> None:
    """The run is checked before the result URL (as before handlers were handed their run), and
    one failing event leaves the rest of its batch processed."""
    occupy_all_slots(settings)
    run_id = make_run().run_id
    untrusted = {"data__info": {"resultUrls": ["http://10.0.0.1/clip.mp4"]}}
    cases = {
        "missing-run": kieai_delivery("run_never_created", data__taskId="missing", **untrusted),
        "untrusted-url": kieai_delivery(run_id, data__taskId="untrusted", **untrusted),
        "fine": kieai_delivery(run_id, data__taskId="fine"),
    }
    for delivery in cases.values():
        with TestCase.captureOnCommitCallbacks(execute=True):
            webhook_receive(
                provider="kieai",
                body=delivery.body,
                headers=delivery.headers,
                query=dict(parse_qsl(delivery.query)),
            )
    WebhookProcessorLease.objects.all().delete()
    owner = str(uuid.uuid4())
    WebhookProcessorLease.objects.create(
        slot=1, owner=owner, expires_at=timezone.now() + timedelta(minutes=1)
    )
    assert webhook_events_drain(slot=1, owner=owner) == 3
    outcome = {
        event.run_id + ":" + event.idempotency_key.split(":")[0]: (event.status, event.error)
        for event in WebhookEvent.objects.all()
    }
    assert outcome == {
        "run_never_created:missing": (EventStatus.FAILED, "Run 'run_never_created' does not exist"),
        f"{run_id}:untrusted": (
            EventStatus.FAILED,
            "untrusted result URL (not https): 'http://10.0.0.1/clip.mp4'",
        ),
        f"{run_id}:fine": (EventStatus.PROCESSED, None),
    }
    assert sorted(WebhookDLQ.objects.values_list("error_class", flat=True)) == [
        "myloware.lib.errors.NotFound",
        "webhooks.handlers.HandlerError",
    ]
    assert [v["taskId"] for v in Run.objects.get(pk=run_id).result["videos"]] == ["fine"]
    assert Artifact.objects.filter(run_id=run_id).count() == 1
