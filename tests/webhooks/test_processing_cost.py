"""What the webhook loop's batch costs in statements: the promise of docs/webhooks.md (Processing) that
a kie.ai clip or a Shotstack render takes five statements, not the dozen it took when each
service read the run again. Fails when a change brings back repeated reads of the run, the
artifact's checksum SELECT or nested savepoints."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from artifacts.models import Artifact
from runs.models import Run
from tests.webhooks.conftest import Delivery, kieai_delivery, shotstack_delivery
from webhooks.models import EventStatus, WebhookEvent
from webhooks.services import webhook_events_process_batch, webhook_receive

pytestmark = pytest.mark.django_db

RUNS = 4
CLIPS = 5
# Per event: the handler's savepoint and its release, the run read under its lock, the
# artifact's INSERT ... ON CONFLICT, the run's UPDATE.
STATEMENTS_PER_EVENT = 5
# Per batch: the transaction's settings, the claim, the runs' lock, one UPDATE per outcome and
# the DLQ delete; and, because a test runs inside a transaction, the savepoint and its release
# that are BEGIN/COMMIT in production.
STATEMENTS_PER_BATCH = 7


def store(delivery: Delivery) -> None:
    receipt = webhook_receive(
        provider=delivery.provider,
        body=delivery.body,
        headers=delivery.headers,
        query=dict(parse_qsl(delivery.query)),
    )
    assert receipt.outcome == "accepted"


def one_batch() -> tuple[int, list[str]]:
    """(events processed, statements run) of one batch of the loop."""
    with CaptureQueriesContext(connection) as captured:
        count = webhook_events_process_batch()
    return count, [query["sql"] for query in captured.captured_queries]


def listing(statements: list[str]) -> str:
    return f"{len(statements)} statements:\n" + "\n".join(sql[:160] for sql in statements)


def test_a_batch_of_kieai_clips_takes_five_statements_per_event(make_run: Any, settings: Any) -> None:
    settings.WEBHOOK_LOOP_BATCH = RUNS * CLIPS
    runs = [make_run().run_id for _ in range(RUNS)]
    for index in range(CLIPS):
        for run_id in runs:
            store(
                kieai_delivery(run_id, data__taskId=f"{run_id}_{index}", data__metadata={"videoIndex": index})
            )
    count, statements = one_batch()
    assert count == RUNS * CLIPS
    assert len(statements) <= STATEMENTS_PER_EVENT * count + STATEMENTS_PER_BATCH, listing(statements)
    # The cheaper path lost nothing: every clip is in its run's result and has its artifact.
    assert set(WebhookEvent.objects.values_list("status", "attempts")) == {(EventStatus.PROCESSED, 1)}
    for run_id in runs:
        videos = Run.objects.get(pk=run_id).result["videos"]
        assert [v["taskId"] for v in videos] == [f"{run_id}_{index}" for index in range(CLIPS)]
        assert Artifact.objects.filter(run_id=run_id, type="clip").count() == CLIPS


def test_a_shotstack_render_takes_five_statements(make_run: Any) -> None:
    run_id = make_run().run_id
    store(shotstack_delivery(run_id))
    count, statements = one_batch()
    assert count == 1
    assert len(statements) <= STATEMENTS_PER_EVENT + STATEMENTS_PER_BATCH, listing(statements)
    assert Run.objects.get(pk=run_id).result["renderUrl"].endswith(".mp4")
    assert Artifact.objects.filter(run_id=run_id, type="render.url").count() == 1
