"""The webhook loop: the event row is the queue, any number of copies drain it (docs/webhooks.md)."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from typing import Any
from urllib.parse import parse_qsl

import pytest
from django.db import InterfaceError, OperationalError, connection

from artifacts.models import Artifact
from runs.models import Run
from tests.race import race, raised
from tests.webhooks.conftest import Counting, fixture_bytes, kieai_delivery, process_waiting, sign_standard
from webhooks.handlers import Outcome, processed
from webhooks.models import EventStatus, WebhookDLQ, WebhookEvent
from webhooks.services import (
    CLAIM_IDLE_TIMEOUT,
    DatabaseUnreachable,
    LoopControl,
    webhook_events_process_batch,
    webhook_events_process_forever,
    webhook_receive,
)

pytestmark = pytest.mark.django_db

ROUNDS = 5
EVENTS = 40


def receive(msg_id: str, provider: str = "counting") -> str:
    body = fixture_bytes("standard_event")
    headers = sign_standard(body, msg_id=msg_id)
    return webhook_receive(provider=provider, body=body, headers=headers, query={}).event_id


def drain() -> int:
    """One copy of the loop's work: batches until none is claimable."""
    total = 0
    while handled := webhook_events_process_batch():
        total += handled
    return total


def test_the_intake_only_stores_and_the_loop_processes(counting: Counting) -> None:
    event_id = receive("stored")
    event = WebhookEvent.objects.get(pk=event_id)
    assert (event.status, event.attempts) == (EventStatus.RECEIVED, 0)
    assert counting.calls == {}
    assert webhook_events_process_batch() == 1
    event.refresh_from_db()
    assert (event.status, event.attempts) == (EventStatus.PROCESSED, 1)
    assert counting.calls == {"stored": 1}
    assert webhook_events_process_batch() == 0


def test_a_batch_takes_at_most_the_batch_size_oldest_first(counting: Counting, settings: Any) -> None:
    settings.WEBHOOK_LOOP_BATCH = 3
    for index in range(5):
        receive(f"b{index}")
    assert webhook_events_process_batch() == 3
    assert set(counting.calls) == {"b0", "b1", "b2"}
    assert webhook_events_process_batch() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_concurrent_copies_process_each_event_exactly_once(counting: Counting, round_number: int) -> None:
    ids = [receive(f"r{round_number}_{i}") for i in range(EVENTS)]
    counts = race(4, lambda _: drain(), connect_first=True)
    assert not raised(counts)
    assert sum(counts) == EVENTS
    assert counting.calls == Counter({f"r{round_number}_{i}": 1 for i in range(EVENTS)})
    events = WebhookEvent.objects.filter(pk__in=ids)
    assert set(events.values_list("status", "attempts")) == {(EventStatus.PROCESSED, 1)}


@pytest.mark.django_db(transaction=True)
def test_two_running_loops_process_deliveries_racing_from_many_threads_once(
    counting: Counting, settings: Any
) -> None:
    settings.WEBHOOK_LOOP_POLL = 0.01
    control = LoopControl()

    def loop() -> int:
        try:
            return webhook_events_process_forever(control=control)
        finally:
            connection.close()

    loops = [threading.Thread(target=loop) for _ in range(2)]
    for thread in loops:
        thread.start()
    try:
        assert not raised(race(8, lambda number: [receive(f"t{number}_{i}") for i in range(10)]))
        deadline = time.monotonic() + 30
        while WebhookEvent.objects.filter(status=EventStatus.RECEIVED).exists():
            assert time.monotonic() < deadline, "the loops did not process every event within 30 s"
            time.sleep(0.05)
    finally:
        control.stop = True
        for thread in loops:
            thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in loops)
    assert counting.calls == Counter({f"t{n}_{i}": 1 for n in range(8) for i in range(10)})
    assert set(WebhookEvent.objects.values_list("status", "attempts")) == {(EventStatus.PROCESSED, 1)}


@pytest.mark.fault
@pytest.mark.django_db(transaction=True)
def test_a_copy_frozen_inside_its_batch_loses_its_claim_to_another_copy(test_handler: Any) -> None:
    """A copy that stops between two statements (SIGSTOP, a stalled host) is idle inside its
    claim's transaction: PostgreSQL ends its session after CLAIM_IDLE_TIMEOUT and the events go
    to another copy, processed once; the frozen copy's attempt is not counted."""
    frozen_for = float(CLAIM_IDLE_TIMEOUT.removesuffix("s")) + 2
    calls: Counter[str] = Counter()
    first_call = threading.Event()

    def handler(event: WebhookEvent) -> Outcome:
        calls[threading.current_thread().name] += 1
        if threading.current_thread().name == "frozen" and not first_call.is_set():
            first_call.set()
            time.sleep(frozen_for)  # no statement runs: the session is idle in its transaction
        return processed()

    test_handler("slow", handler)
    ids = [receive(f"f{i}", provider="slow") for i in range(3)]
    outcome: list[Any] = []

    def frozen_copy() -> None:
        try:
            outcome.append(webhook_events_process_batch())
        except (OperationalError, InterfaceError) as exc:
            outcome.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=frozen_copy, name="frozen")
    thread.start()
    assert first_call.wait(10)
    deadline = time.monotonic() + frozen_for + 10
    taken_over = 0
    while taken_over < 3:  # the other copy: nothing claimable until the frozen session ends
        assert time.monotonic() < deadline, "the frozen copy kept its claim"
        taken_over += webhook_events_process_batch()
        time.sleep(0.1)
    thread.join(timeout=30)
    assert len(outcome) == 1 and isinstance(outcome[0], OperationalError | InterfaceError)
    events = WebhookEvent.objects.filter(pk__in=ids)
    assert set(events.values_list("status", "attempts")) == {(EventStatus.PROCESSED, 1)}
    assert calls["MainThread"] == 3


def test_the_loop_stops_after_its_current_batch_when_asked(test_handler: Any, settings: Any) -> None:
    """A stop requested while a batch runs (SIGTERM: the handler only sets the flag) lets that
    batch finish and commit, and claims nothing more."""
    settings.WEBHOOK_LOOP_BATCH = 2
    control = LoopControl()

    def handler(event: WebhookEvent) -> Outcome:
        control.stop = True
        return processed()

    test_handler("stopping", handler)
    for index in range(5):
        receive(f"s{index}", provider="stopping")
    assert webhook_events_process_forever(control=control) == 2
    assert WebhookEvent.objects.filter(status=EventStatus.PROCESSED).count() == 2
    assert WebhookEvent.objects.filter(status=EventStatus.RECEIVED).count() == 3


@pytest.mark.fault
@pytest.mark.django_db(transaction=True)
def test_the_loop_gives_up_once_the_database_was_unreachable_for_the_bound(
    settings: Any, unreachable_database: None
) -> None:
    """It retries every second, and exits once WEBHOOK_LOOP_DB_TIMEOUT has passed (its supervisor
    starts it again); a controlled clock, no waiting."""
    settings.WEBHOOK_LOOP_DB_TIMEOUT = 30
    clock = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    with pytest.raises(DatabaseUnreachable, match="unreachable or failing for 30 s"):
        webhook_events_process_forever(control=LoopControl(), clock=lambda: clock[0], sleep=sleep)
    assert 29.9 <= sum(slept) <= 30.1  # one-second pauses, in tenths so that a stop is seen
    assert max(slept) <= 0.1


RUNS = 5
CLIPS = 8


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_copies_racing_over_batches_that_share_runs_lose_no_update_and_never_deadlock(
    make_run: Any, settings: Any, round_number: int
) -> None:
    """Real kie.ai handlers (each locks its run to patch ``result.videos``), events of 5 runs in
    a random order, small batches spanning several runs, 4 copies at once: every clip lands
    once in its run's result (no lost update), each event is processed once, and no copy fails
    on a deadlock (the batch's runs are locked up front, in one order)."""
    settings.WEBHOOK_LOOP_BATCH = 3
    runs = [make_run().run_id for _ in range(RUNS)]
    clips = [(run_id, index) for run_id in runs for index in range(CLIPS)]
    random.Random(round_number).shuffle(clips)
    for run_id, index in clips:
        delivery = kieai_delivery(
            run_id, data__taskId=f"{run_id}_{index}", data__metadata={"videoIndex": index}
        )
        webhook_receive(
            provider="kieai", body=delivery.body, headers=delivery.headers, query={"run_id": run_id}
        )
    assert not raised(race(4, lambda _: drain(), connect_first=True))  # a deadlock would surface here
    assert set(WebhookEvent.objects.values_list("status", "attempts")) == {(EventStatus.PROCESSED, 1)}
    for run_id in runs:
        videos = Run.objects.get(pk=run_id).result["videos"]
        assert [(v["status"], v["taskId"]) for v in videos] == [
            ("generated", f"{run_id}_{index}") for index in range(CLIPS)
        ]
        assert Artifact.objects.filter(run_id=run_id, type="clip").count() == CLIPS


def test_a_batch_sends_a_missing_run_and_an_untrusted_url_to_the_dlq_with_their_errors(make_run: Any) -> None:
    """The run is checked before the result URL, and one failing event leaves the rest of its
    batch processed."""
    run_id = make_run().run_id
    untrusted = {"data__info": {"resultUrls": ["http://10.0.0.1/clip.mp4"]}}
    cases = {
        "missing-run": kieai_delivery("run_never_created", data__taskId="missing", **untrusted),
        "untrusted-url": kieai_delivery(run_id, data__taskId="untrusted", **untrusted),
        "fine": kieai_delivery(run_id, data__taskId="fine"),
    }
    for delivery in cases.values():
        webhook_receive(
            provider="kieai",
            body=delivery.body,
            headers=delivery.headers,
            query=dict(parse_qsl(delivery.query)),
        )
    assert process_waiting() == 3
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
