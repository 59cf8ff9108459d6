"""/healthz tells the truth about background work: 200 only while work flows, else 503 naming it."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_q.models import OrmQ

from myloware.health import health_report
from myloware.workers.models import WorkerHeartbeat, WorkerRole
from webhooks.models import EventStatus, SignatureStatus, WebhookDLQ, WebhookEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def real_workers(settings: Any) -> None:
    """As in production: tasks go to a cluster (the test settings run them inline)."""
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    settings.WORKER_STALE_AFTER = 30
    settings.HEALTH_MAX_LAG = 120


def beat(cluster: str = "box-1", *, task_ago: float, ack_ago: float, busy_for: float | None = None) -> None:
    now = timezone.now()
    busy_until = now + timedelta(seconds=busy_for) if busy_for is not None else None
    for pid in (101, 102):
        WorkerHeartbeat.objects.create(
            cluster=cluster, pid=pid, host="box", started_at=now - timedelta(hours=1),
            beat_at=now - timedelta(seconds=task_ago), busy_until=busy_until if pid == 101 else None,
        )  # fmt: skip
    WorkerHeartbeat.objects.create(
        cluster=cluster, pid=103, host="box", role=WorkerRole.MONITOR, started_at=now - timedelta(hours=1),
        beat_at=now - timedelta(seconds=ack_ago),
    )  # fmt: skip


def event(*, age: float, status: str = EventStatus.RECEIVED) -> WebhookEvent:
    return WebhookEvent.objects.create(
        idempotency_key=uuid.uuid4().hex, provider="kieai", payload=b"{}", signature_status=SignatureStatus.VALID,
        status=status, received_at=timezone.now() - timedelta(seconds=age),
    )  # fmt: skip


def problems() -> list[str]:
    healthy, report = health_report()
    assert healthy == (not report.get("problems"))
    return report.get("problems", [])


def test_flowing_workers_and_no_backlog_are_200(client: Client) -> None:
    beat(task_ago=3, ack_ago=3)
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    [cluster] = response.json()["workers"]["clusters"]
    assert cluster == {
        "name": "box-1", "workers": 2, "last_task_age_seconds": pytest.approx(3, abs=2),
        "last_acknowledged_age_seconds": pytest.approx(3, abs=2), "busy": False, "flowing": True,
    }  # fmt: skip
    assert "Retry-After" not in response


def test_stale_heartbeats_are_503_with_retry_after_naming_the_workers(client: Client) -> None:
    beat(task_ago=45, ack_ago=45)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["workers"]["clusters"][0]["flowing"] is False
    assert any(problem.startswith("workers: no task went through") for problem in body["problems"])


def test_tasks_that_run_but_are_never_acknowledged_are_not_flow() -> None:
    """A worker killed while holding the result queue's lock: tasks execute, results never arrive."""
    beat(task_ago=1, ack_ago=45)
    assert any(problem.startswith("workers:") for problem in problems())


def test_a_cluster_inside_long_tasks_is_busy_not_stale() -> None:
    beat(task_ago=90, ack_ago=90, busy_for=30)
    assert problems() == []


def test_no_cluster_at_all_is_503() -> None:
    assert problems() == ["workers: no cluster has reported (is `manage.py run_workers` running?)"]


def test_one_flowing_cluster_is_enough_for_the_system_and_the_stale_one_is_listed() -> None:
    beat("box-1", task_ago=2, ack_ago=2)
    beat("box-2", task_ago=300, ack_ago=300)
    healthy, report = health_report()
    assert healthy
    assert [(c["name"], c["flowing"]) for c in report["workers"]["clusters"]] == [
        ("box-1", True),
        ("box-2", False),
    ]


def test_a_valid_event_waiting_too_long_is_503_naming_webhooks() -> None:
    beat(task_ago=1, ack_ago=1)
    event(age=60)  # within HEALTH_MAX_LAG
    event(age=30, status=EventStatus.PROCESSED)
    assert problems() == []
    event(age=200)
    [problem] = problems()
    assert problem.startswith("webhooks: a valid event waits for processing for 200")


def test_a_due_dead_letter_entry_not_replayed_is_503_naming_the_dlq() -> None:
    beat(task_ago=1, ack_ago=1)
    failed = event(age=600, status=EventStatus.FAILED)
    WebhookDLQ.objects.create(
        provider="kieai", idempotency_key=failed.idempotency_key, event=failed, payload=b"{}",
        next_retry_at=timezone.now() - timedelta(seconds=300),
    )  # fmt: skip
    _, report = health_report()
    assert report["backlog"]["dlq_due"] == 1
    assert [p.split(" for ")[0] for p in report["problems"]] == [
        "dead-letter queue: a due entry is not replayed"
    ]


def test_a_queued_task_nobody_picks_up_is_503_naming_the_task_queue() -> None:
    beat(task_ago=1, ack_ago=1)
    OrmQ.objects.create(key="myloware", payload="x", lock=timezone.now() - timedelta(seconds=10))
    OrmQ.objects.create(key="myloware", payload="x", lock=timezone.now() + timedelta(seconds=100))  # claimed
    _, report = health_report()
    assert report["backlog"]["queued_tasks"] == 1
    assert "problems" not in report
    OrmQ.objects.create(key="myloware", payload="x", lock=timezone.now() - timedelta(seconds=500))
    [problem] = problems()
    assert problem.startswith("task queue: a queued task is not picked up for 500")


def test_in_sync_mode_tasks_run_inline_and_workers_are_not_required(settings: Any) -> None:
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
    healthy, report = health_report()
    assert healthy and report["workers"] == {"mode": "sync (tasks run inline)"}
