"""/healthz judges background work from facts the database already has: 200 while each part
keeps up, else 503 + Retry-After naming the parts that stopped; figures only for ops:read."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_q.models import OrmQ, Schedule, Task

from myloware.api.models import Scope
from myloware.workers.selectors import (
    SCHEDULER_CYCLE_SECONDS,
    schedule_lag_seconds,
    schedule_lags,
    task_queue,
)
from webhooks.models import EventStatus, SignatureStatus, WebhookDLQ, WebhookEvent

pytestmark = pytest.mark.django_db

LIMIT = 120


@pytest.fixture(autouse=True)
def limit(settings: Any) -> None:
    settings.HEALTH_MAX_LAG = LIMIT


def ago(seconds: float) -> datetime:
    return timezone.now() - timedelta(seconds=seconds)


def event(
    *, age: float, status: str = EventStatus.RECEIVED, signature: str = SignatureStatus.VALID
) -> WebhookEvent:
    return WebhookEvent.objects.create(
        idempotency_key=uuid.uuid4().hex, provider="kieai", payload=b"{}", signature_status=signature,
        status=status, received_at=ago(age),
    )  # fmt: skip


def schedule(name: str, *, next_run: datetime, minutes: int = 1) -> Schedule:
    return Schedule.objects.create(
        name=name, func="webhooks.tasks.replay_due_webhooks", schedule_type=Schedule.MINUTES, minutes=minutes,
        repeats=-1, next_run=next_run,
    )  # fmt: skip


def finished_task(*, group: str | None, started: datetime, stopped: datetime | None = None) -> Task:
    return Task.objects.create(
        id=uuid.uuid4().hex, name="task", func="f", group=group, started=started, stopped=stopped or started,
        success=True,
    )  # fmt: skip


def failing(client: Client) -> list[str]:
    response = client.get("/healthz")
    if response.status_code == 200:
        assert response.json() == {"status": "ok"}
        return []
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    body = response.json()
    assert set(body) == {"status", "failing"}  # nothing else for an anonymous caller
    assert body["status"] == "unavailable"
    return list(body["failing"])


def test_quiet_system_is_200_and_an_anonymous_caller_learns_nothing_else(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "Retry-After" not in response


def test_a_valid_event_waiting_past_the_limit_names_the_webhook_loop(client: Client) -> None:
    event(age=LIMIT - 20)
    event(age=LIMIT * 3, status=EventStatus.PROCESSED)
    event(age=LIMIT * 3, status=EventStatus.REJECTED, signature=SignatureStatus.INVALID)
    assert failing(client) == []
    event(age=LIMIT + 30)
    assert failing(client) == ["webhook_loop"]


def test_a_due_dead_letter_entry_not_replayed_names_the_replay(client: Client) -> None:
    failed = event(age=900, status=EventStatus.FAILED)
    entry = WebhookDLQ.objects.create(
        provider="kieai", idempotency_key=failed.idempotency_key, event=failed, payload=b"{}",
        next_retry_at=ago(LIMIT - 30),
    )  # fmt: skip
    assert failing(client) == []
    WebhookDLQ.objects.filter(pk=entry.pk).update(next_retry_at=ago(LIMIT + 30))
    assert failing(client) == ["dlq_replay"]
    # Parked (dead) entries are never replayed automatically: not a stopped part.
    WebhookDLQ.objects.filter(pk=entry.pk).update(dead_at=timezone.now(), next_retry_at=None)
    assert failing(client) == []


def test_schedule_lag_is_the_time_since_the_earliest_run_that_should_have_started() -> None:
    """Counted from when a run should have started: its time plus the scheduler's 30 s cycle."""
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    minute = timedelta(minutes=1)
    cycle = SCHEDULER_CYCLE_SECONDS

    def lag(next_run: float, last_started: float | None, period: timedelta | None = minute) -> float:
        started = None if last_started is None else now + timedelta(seconds=last_started)
        return schedule_lag_seconds(
            next_run=now + timedelta(seconds=next_run), period=period, last_run_started=started, now=now
        )

    assert lag(20, -40) == 0  # ran, the next one not due
    assert lag(-25, -85) == 0  # due, within the scheduler's cycle
    assert lag(-cycle - 25, -cycle - 85) == 25  # the scheduler did not queue it
    # The scheduler moved next_run on, but no run finished since 5 minutes ago (a stalled pool).
    assert lag(30, -300) == 300 - 60 - cycle
    assert lag(30, None) == 0  # never ran: only next_run can tell
    assert lag(-300, None, period=None) == 300 - cycle


def test_a_schedule_whose_runs_stopped_finishing_names_the_schedules(client: Client) -> None:
    """The scheduler (in the sentinel) moves next_run on even when no worker takes tasks, so the
    schedule's own finished tasks (django_q_task, group = its name) tell whether it really ran."""
    replay = schedule("webhooks.replay_due_webhooks", next_run=timezone.now() + timedelta(seconds=30))
    finished_task(group=replay.name, started=ago(50))
    finished_task(group="another schedule", started=ago(5))
    assert failing(client) == []
    Task.objects.filter(group=replay.name).update(started=ago(60 + SCHEDULER_CYCLE_SECONDS + LIMIT + 30))
    assert failing(client) == ["schedules"]
    lags = schedule_lags(now=timezone.now())
    assert lags[replay.name] == pytest.approx(LIMIT + 30, abs=5)


def test_a_schedule_the_scheduler_never_reached_names_the_schedules(client: Client) -> None:
    schedule("knowledge: embed pending documents", next_run=ago(SCHEDULER_CYCLE_SECONDS + LIMIT + 30))
    assert failing(client) == ["schedules"]
    Schedule.objects.update(repeats=0)  # done (a one-off that ran): not late
    assert failing(client) == []


def test_tasks_waiting_while_none_finishes_name_the_task_queue(client: Client) -> None:
    OrmQ.objects.create(key="myloware", payload="x", lock=ago(LIMIT + 60))
    OrmQ.objects.create(key="myloware", payload="x", lock=timezone.now() + timedelta(seconds=100))  # claimed
    finished_task(group=None, started=ago(LIMIT + 100))
    assert failing(client) == ["task_queue"]
    queue = task_queue(now=timezone.now())
    assert queue.queued == 1
    # A long backlog behind a pool that keeps finishing tasks is progress, not a stall.
    finished_task(group=None, started=ago(3), stopped=ago(1))
    assert failing(client) == []
    assert task_queue(now=timezone.now()).stalled_seconds(timezone.now()) < 5


def test_several_stopped_parts_are_all_named(client: Client) -> None:
    event(age=LIMIT + 10)
    OrmQ.objects.create(key="myloware", payload="x", lock=ago(LIMIT + 60))
    assert failing(client) == ["webhook_loop", "task_queue"]


def test_an_ops_read_key_gets_the_figures(client: Client, make_api_key: Any) -> None:
    _, raw = make_api_key(scopes=(Scope.OPS_READ,))
    event(age=LIMIT + 10)
    schedule("webhooks.replay_due_webhooks", next_run=timezone.now() + timedelta(seconds=30))
    response = client.get("/healthz", headers={"X-API-Key": raw})
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["webhook_loop"]
    assert body["problems"][0].startswith("webhook_loop: a valid event has waited")
    assert body["database"]["pgvector_version"].startswith("0.")
    assert body["database"]["pending_migrations"] == 0
    assert body["webhook_loop"]["backlog_events"] == 1
    assert body["schedules"]["lag_seconds"] == {"webhooks.replay_due_webhooks": 0.0}
    assert body["task_queue"] == {
        "queued": 0, "oldest_queued_seconds": None, "last_finished_seconds": None, "stalled_seconds": 0.0,
    }  # fmt: skip
    assert body["max_lag_seconds"] == LIMIT


def test_a_key_without_ops_read_is_403_naming_the_scope_and_a_bad_key_401(
    client: Client, make_api_key: Any
) -> None:
    _, raw = make_api_key(scopes=(Scope.RUNS,))
    response = client.get("/healthz", headers={"X-API-Key": raw})
    assert response.status_code == 403
    assert response.json()["error"]["details"]["required_scope"] == "ops:read"
    response = client.get("/healthz", headers={"X-API-Key": "mlw_not-a-key"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
