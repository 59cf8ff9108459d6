"""What a processor's batch costs in statements: the promise of docs/webhooks.md (Processing) that
a kie.ai clip or a Shotstack render takes five statements, not the dozen it took when each
service read the run again. Fails when a change brings back repeated reads of the run, the
artifact's checksum SELECT or nested savepoints."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from artifacts.models import Artifact
from runs.models import Run
from tests.webhooks.conftest import Delivery, kieai_delivery, shotstack_delivery
from webhooks.models import EventStatus, WebhookEvent, WebhookProcessorLease
from webhooks.services import webhook_events_drain, webhook_receive

pytestmark = pytest.mark.django_db

RUNS = 4
CLIPS = 5
# Per event: the handler's savepoint and its release, the run read under its lock, the
# artifact's INSERT ... ON CONFLICT, the run's UPDATE.
STATEMENTS_PER_EVENT = 5
# Per drain: the lease renewal; per batch synchronous_commit, the claim, the runs' lock, one
# UPDATE per outcome and the DLQ delete; the empty claim that ends the drain (with its
# synchronous_commit), the lease's delete, the lease table's SHARE lock and the last look for
# waiting events; and, because a test runs inside a transaction, the savepoints that are
# BEGIN/COMMIT in production (4).
STATEMENTS_PER_DRAIN = 17


@pytest.fixture
def busy_slots(settings: Any) -> None:
    """Every slot held by someone else: deliveries wait for the drain under test."""
    for slot in range(1, settings.WEBHOOK_PROCESSORS + 1):
        WebhookProcessorLease.objects.create(
            slot=slot, owner=uuid.uuid4(), expires_at=timezone.now() + timedelta(minutes=5)
        )


def store(delivery: Delivery) -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        receipt = webhook_receive(
            provider=delivery.provider,
            body=delivery.body,
            headers=delivery.headers,
            query=dict(parse_qsl(delivery.query)),
        )
    assert receipt.outcome == "accepted"


def drain() -> tuple[int, list[str]]:
    """(events processed, statements run) of one processor draining the queue."""
    WebhookProcessorLease.objects.all().delete()
    owner = str(uuid.uuid4())
    WebhookProcessorLease.objects.create(
        slot=1, owner=owner, expires_at=timezone.now() + timedelta(minutes=1)
    )
    with CaptureQueriesContext(connection) as captured:
        count = webhook_events_drain(slot=1, owner=owner)
    return count, [query["sql"] for query in captured.captured_queries]


def listing(statements: list[str]) -> str:
    return f"{len(statements)} statements:\n" + "\n".join(sql[:160] for sql in statements)


def test_a_batch_of_kieai_clips_takes_five_statements_per_event(
    make_run: Any, settings: Any, busy_slots: None
) -> None:
    settings.WEBHOOK_PROCESSOR_BATCH = RUNS * CLIPS
    runs = [make_run().run_id for _ in range(RUNS)]
    for index in range(CLIPS):
        for run_id in runs:
            store(
                kieai_delivery(run_id, data__taskId=f"{run_id}_{index}", data__metadata={"videoIndex": index})
            )
    count, statements = drain()
    assert count == RUNS * CLIPS
    assert len(statements) <= STATEMENTS_PER_EVENT * count + STATEMENTS_PER_DRAIN, listing(statements)
    # The cheaper path lost nothing: every clip is in its run's result and has its artifact.
    assert set(WebhookEvent.objects.values_list("status", "attempts")) == {(EventStatus.PROCESSED, 1)}
    for run_id in runs:
        videos = Run.objects.get(pk=run_id).result["videos"]
        assert [v["taskId"] for v in videos] == [f"{run_id}_{index}" for index in range(CLIPS)]
        assert Artifact.objects.filter(run_id=run_id, type="clip").count() == CLIPS


def test_a_shotstack_render_takes_five_statements(make_run: Any, busy_slots: None) -> None:
    run_id = make_run().run_id
    store(shotstack_delivery(run_id))
    count, statements = drain()
    assert count == 1
    assert len(statements) <= STATEMENTS_PER_EVENT + STATEMENTS_PER_DRAIN, listing(statements)
    assert Run.objects.get(pk=run_id).result["renderUrl"].endswith(".mp4")
    assert Artifact.objects.filter(run_id=run_id, type="render.url").count() == 1
