"""Retention: one policy, applied in short batches, never touching what is still in use
(docs/operations.md, Retention). Clocks are passed in: events are received at T0 and the policy
is applied at T0 plus some days."""

from __future__ import annotations

import io
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Permission, User
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.db import connection
from django_q.models import Task

from artifacts.models import Artifact
from myloware.lifecycle.services import RULES, Action, Rule, retention_run
from myloware.lifecycle.tasks import retention
from runs.langgraph.models import LangGraphCheckpoint
from runs.models import GateRequest, HitlApproval, Run, RunStatus, RunTransition
from runs.services import gate_decide, gate_open, run_hold, run_transition
from tests.factories import make_run
from tests.race import race_all, raised
from tests.webhooks.conftest import Counting, fixture_bytes, sign_standard
from webhooks.handlers import Outcome
from webhooks.models import EventStatus, PayloadDropReason, WebhookDLQ, WebhookEvent
from webhooks.services import (
    dlq_park,
    webhook_event_reprocess,
    webhook_events_process_batch,
    webhook_receive,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BODY = fixture_bytes("standard_event")


def receive(msg_id: str, *, provider: str = "counting", now: datetime = T0, signed: bool = True) -> str:
    headers = sign_standard(BODY, msg_id=msg_id, timestamp=int(now.timestamp()))
    if not signed:
        headers["webhook-signature"] = "v1,bm90IGEgc2lnbmF0dXJl"
    return webhook_receive(provider=provider, body=BODY, headers=headers, query={}, now=now).event_id


def process(now: datetime = T0) -> None:
    while webhook_events_process_batch(now=now):
        pass


def counts(results: list[Any]) -> dict[tuple[str, str], int]:
    return {(result.table, result.action): result.count for result in results if not result.off}


@pytest.fixture
def failing(test_handler: Any) -> None:
    def handler(event: WebhookEvent) -> Outcome:
        raise RuntimeError("upstream down")

    test_handler("failing", handler)


@pytest.mark.django_db
def test_the_dry_run_counts_what_apply_removes_and_a_second_run_removes_nothing(
    counting: Counting, failing: None
) -> None:
    processed = receive("done")
    rejected = receive("forged", signed=False)
    recent = receive("recent", now=T0 + timedelta(days=380))  # within 30 days of the clock below
    dead_event, due_event = receive("dead", provider="failing"), receive("due", provider="failing")
    process()
    waiting = receive("still-waiting")  # received, never processed: the loop's
    dead_entry = WebhookDLQ.objects.get(event_id=dead_event)
    dlq_park(entry_id=str(dead_entry.pk), actor="test", now=T0)
    due_entry = WebhookDLQ.objects.get(event_id=due_event)
    WebhookDLQ.objects.filter(pk=due_entry.pk).update(next_retry_at=T0)  # due ever since
    Task.objects.create(id="t1", name="t1", func="f", started=T0, stopped=T0, success=False)
    LogEntry.objects.create(action_time=T0, user=User.objects.create_user("u"), action_flag=ADDITION)
    session = SessionStore()
    session.set_expiry(60)
    session.create()
    Session.objects.filter(pk=session.session_key).update(expire_date=T0)

    later = T0 + timedelta(days=400)
    expected = {
        ("webhook_events", Action.EXPUNGE): 1,  # the processed one; not waiting, not with an entry
        ("webhook_events", Action.DELETE): 1,
        ("webhook_dlq", Action.DELETE): 1,
        ("django_q_task", Action.DELETE): 1,
        ("django_session", Action.DELETE): 1,
        ("django_admin_log", Action.DELETE): 1,
        ("axes_accesslog", Action.DELETE): 0,
        ("axes_accessfailurelog", Action.DELETE): 0,
    }
    assert counts(retention_run(now=later, apply=False)) == expected
    assert WebhookEvent.objects.filter(payload_dropped_at__isnull=False).count() == 0  # dry: nothing

    assert counts(retention_run(now=later, apply=True, batch=1)) == expected
    event = WebhookEvent.objects.get(pk=processed)
    assert (bytes(event.payload), event.payload_size, event.payload_sha256 is not None) == (
        b"",
        len(BODY),
        True,
    )
    assert (event.status, event.payload_drop_reason, event.payload_dropped_at) == (
        EventStatus.PROCESSED,
        PayloadDropReason.RETENTION,
        later,
    )
    assert event.payload_note == "body expunged on 2027-04-06"
    assert not WebhookEvent.objects.filter(pk=rejected).exists()
    assert not WebhookDLQ.objects.filter(pk=dead_entry.pk).exists()
    assert WebhookDLQ.objects.filter(pk=due_entry.pk).exists()  # due: never removed
    kept = WebhookEvent.objects.filter(pk__in=[waiting, due_event, recent])
    assert {bytes(e.payload) for e in kept} == {BODY}
    assert (Task.objects.count(), LogEntry.objects.count(), Session.objects.count()) == (0, 0, 0)

    # The dead entry is gone: its failed event's body goes on the next run; then nothing is left.
    assert counts(retention_run(now=later, apply=True))[("webhook_events", Action.EXPUNGE)] == 1
    assert not any(counts(retention_run(now=later, apply=True)).values())
    assert bytes(WebhookEvent.objects.get(pk=waiting).payload) == BODY  # the loop's, still


@pytest.mark.django_db
def test_nothing_goes_before_its_time(counting: Counting) -> None:
    receive("done")
    receive("forged", signed=False)
    process()
    soon = retention_run(now=T0 + timedelta(days=6), apply=True)
    assert not any(counts(soon).values())
    assert (
        counts(retention_run(now=T0 + timedelta(days=8), apply=False))[("webhook_events", Action.DELETE)] == 1
    )
    assert (
        counts(retention_run(now=T0 + timedelta(days=29), apply=False))[("webhook_events", Action.EXPUNGE)]
        == 0
    )


@pytest.mark.django_db
def test_the_command_is_a_dry_run_unless_told_and_prints_each_table(counting: Counting) -> None:
    receive("old-but-recent-enough")  # T0 is in the past of the real clock the command uses
    process()
    out = io.StringIO()
    call_command("retention", stdout=out)
    lines = out.getvalue().splitlines()
    assert "webhook_events (bodies): 1 would go" in lines
    assert "runs (rows): kept (RETENTION_RUNS_DAYS is unset)" in lines
    assert lines[-1] == "dry run: nothing removed (--apply removes)"
    assert WebhookEvent.objects.filter(payload_dropped_at__isnull=True).count() == 1
    out = io.StringIO()
    call_command("retention", "--apply", "--batch", "10", stdout=out)
    assert "webhook_events (bodies): 1 expunged" in out.getvalue().splitlines()
    with pytest.raises(CommandError, match="'0' is not a whole number of at least 1"):
        call_command("retention", "--batch", "0")


@pytest.mark.django_db
def test_an_expunged_event_says_so_and_is_never_processed_again(
    counting: Counting, superuser_client: Any, api_client: Any
) -> None:
    event_id = receive("done")
    process()
    retention_run(now=T0 + timedelta(days=31), apply=True)
    detail = api_client.get(f"/api/v1/webhooks/events/{event_id}").json()
    assert (detail["payload_note"], detail["payload_drop_reason"]) == (
        "body expunged on 2026-04-02",
        "retention",
    )
    page = superuser_client.get(f"/admin/webhooks/webhookevent/{event_id}/change/")
    assert "body expunged on 2026-04-02" in page.content.decode()
    assert webhook_event_reprocess(event_id=event_id, actor="test").outcome == "skipped"
    assert counting.calls == {"done": 1}


def ended_run_with_everything(status: str = RunStatus.RUNNING) -> Run:
    """A run with transitions, a decided gate, an artifact and LangGraph checkpoints, then ended."""
    run = make_run(RunStatus.RUNNING)
    Artifact.objects.create(run=run, type="script", persona="iggy")
    gate_open(run_id=run.run_id, gate="ideate", actor="api:orchestrator")
    gate_decide(run_id=run.run_id, gate="ideate", decision="approve", actor="operator:root")
    LangGraphCheckpoint.objects.create(thread_id=run.run_id, checkpoint_id="c1", checkpoint={})
    run_transition(run_id=run.run_id, to=RunStatus.FAILED, actor="test")
    return Run.objects.get(pk=run.pk)


@pytest.mark.django_db
def test_ended_runs_go_with_everything_under_them_only_when_configured_and_never_held(
    settings: Any, counting: Counting
) -> None:
    old, held = ended_run_with_everything(), ended_run_with_everything()
    running = make_run(RunStatus.RUNNING)
    Run.objects.filter(pk__in=[old.pk, held.pk, running.pk]).update(updated_at=T0)
    run_hold(run_id=held.run_id, held=True, actor="operator:root")
    held_event = receive("of-the-held-run")
    WebhookEvent.objects.filter(pk=held_event).update(run_id=held.run_id)
    process()
    later = T0 + timedelta(days=400)

    assert next(r for r in retention_run(now=later, apply=True) if r.table == "runs").off  # kept by default
    assert Run.objects.count() == 3
    settings.RETENTION_RUNS_DAYS = 90
    result = next(r for r in retention_run(now=later, apply=True) if r.table == "runs")
    assert result.count == 1
    assert set(Run.objects.values_list("run_id", flat=True)) == {held.run_id, running.run_id}
    for model in (RunTransition, GateRequest, HitlApproval, Artifact):
        assert not model.objects.filter(run_id=old.run_id).exists(), model
        assert model.objects.filter(run_id=held.run_id).exists(), model
    assert not LangGraphCheckpoint.objects.filter(thread_id=old.run_id).exists()
    assert LangGraphCheckpoint.objects.filter(thread_id=held.run_id).exists()
    assert bytes(WebhookEvent.objects.get(pk=held_event).payload) == BODY  # a held run's event keeps its body


@pytest.mark.django_db
def test_a_legal_hold_is_placed_through_the_api_and_by_an_operator_allowed_to(
    api_client: Any, operator_client: Any, operator: User
) -> None:
    run = make_run(RunStatus.PUBLISHED)
    answer = api_client.patch(f"/api/v1/runs/{run.run_id}", {"held": True}, format="json")
    assert answer.status_code == 200 and answer.json()["held"] is True
    assert api_client.get(f"/api/v1/runs/{run.run_id}").json()["held"] is True
    assert api_client.patch(f"/api/v1/runs/{run.run_id}", {"held": "maybe"}, format="json").status_code == 400

    action = {"action": "release_runs", "_selected_action": [run.run_id]}
    operator_client.post("/admin/runs/run/", action)
    assert Run.objects.get(pk=run.pk).held is True  # the operators group may not, by default
    operator.user_permissions.add(Permission.objects.get(codename="hold_run"))
    operator_client.post("/admin/runs/run/", action)
    assert Run.objects.get(pk=run.pk).held is False


@pytest.mark.django_db
def test_a_failing_batch_leaves_nothing_half_done_and_the_next_run_finishes(counting: Counting) -> None:
    ids = [receive(f"e{index}") for index in range(5)]
    process()
    expunge = RULES[0]

    def remove_then_fail(event_ids: list[Any], now: datetime) -> int:
        expunge.remove(event_ids, now)
        raise RuntimeError("the database went away mid-batch")

    broken = Rule(expunge.table, expunge.action, expunge.setting, expunge.due, remove_then_fail)
    later = T0 + timedelta(days=31)
    with pytest.raises(RuntimeError):
        retention_run(now=later, apply=True, batch=2, rules=[broken])
    assert WebhookEvent.objects.filter(pk__in=ids, payload_dropped_at__isnull=True).count() == 5
    assert retention_run(now=later, apply=True, batch=2, rules=[expunge])[0].count == 5


@pytest.mark.django_db
def test_a_run_out_of_time_stops_between_batches_and_the_schedule_queues_the_rest(
    counting: Counting, settings: Any
) -> None:
    ids = [receive(f"e{index}") for index in range(3)]
    process()
    (result,) = retention_run(
        now=T0 + timedelta(days=31), apply=True, deadline=time.monotonic() - 1, rules=RULES[:1]
    )
    assert (result.count, result.incomplete) == (0, True)
    assert "stopped for time" in result.summary()
    # The schedule's task (Q_SYNC runs its follow-up inline) finishes on a fresh budget.
    assert "webhook_events (bodies): 3 expunged" in retention()
    assert WebhookEvent.objects.filter(pk__in=ids, payload_dropped_at__isnull=True).count() == 0


def test_the_schedule_is_daily_and_a_failed_run_is_handed_out_again() -> None:
    from myloware.lifecycle.schedules import SCHEDULES

    (schedule,) = SCHEDULES
    assert (schedule["func"], schedule["schedule_type"]) == ("myloware.lifecycle.tasks.retention", "D")
    assert eval(schedule["kwargs"]) == {"q_options": {"ack_failure": False}}  # noqa: S307 - our literal


# --- racing the running system ----------------------------------------------------------------------

ROUNDS = 5
EVENTS = 60


class BodyCounting(Counting):
    """Counts each event's processings and keeps the bodies they saw."""

    def __init__(self) -> None:
        super().__init__()
        self.bodies: set[bytes] = set()

    def __call__(self, event: WebhookEvent) -> Outcome:
        with self.lock:
            self.bodies.add(bytes(event.payload))
        return super().__call__(event)


@pytest.fixture
def body_counting(test_handler: Any) -> BodyCounting:
    handler = BodyCounting()
    test_handler("counting", handler)
    return handler


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_retention_races_the_intake_the_loop_and_reprocessing(
    body_counting: BodyCounting, round_number: int
) -> None:
    """Intake, the webhook loop, operator reprocessing and retention (1-row batches, a clock past
    every cutoff) at once: no waiting event loses its body, every event is processed exactly once
    by the loop, and a reprocess either ran on the body or was refused."""
    prefix = f"r{round_number}"
    old = [receive(f"{prefix}-old{index}") for index in range(EVENTS // 2)]
    process()
    stop = threading.Event()
    received: list[str] = []
    reprocessed: list[str] = []

    def intake() -> None:
        for index in range(EVENTS):
            received.append(receive(f"{prefix}-new{index}"))
        stop.set()

    def loop() -> None:
        # Small batches with a pause: a backlog of waiting events builds up for retention to pass.
        while not stop.is_set() or WebhookEvent.objects.filter(status=EventStatus.RECEIVED).exists():
            webhook_events_process_batch(limit=3, now=T0)
            time.sleep(0.005)

    def reprocess() -> None:
        for event_id in old[::3]:
            reprocessed.append(webhook_event_reprocess(event_id=event_id, actor="test", now=T0).outcome)

    def retain() -> int:
        expunged = 0
        while not stop.is_set():
            expunged += retention_run(now=T0 + timedelta(days=31), apply=True, batch=1, rules=RULES[:1])[
                0
            ].count
        return expunged

    outcomes = race_all([intake, loop, reprocess, retain])
    assert not raised(outcomes), raised(outcomes)
    assert outcomes[3] > 0  # retention really ran beside the others
    assert body_counting.bodies == {BODY}  # every processing, by the loop or a reprocess, had the body
    connection.close()
    retention_run(now=T0 + timedelta(days=31), apply=True, rules=RULES[:1])
    events = WebhookEvent.objects.filter(idempotency_key__startswith=f"{prefix}-")
    assert events.count() == EVENTS + len(old)
    assert set(events.values_list("status", "payload_drop_reason")) == {
        (EventStatus.PROCESSED, PayloadDropReason.RETENTION)
    }
    assert set(reprocessed) <= {"processed", "skipped"}
    # The loop processed every event once; a reprocess that ran added one call on a kept body.
    again = reprocessed.count("processed")
    assert sum(body_counting.calls.values()) == EVENTS + len(old) + again
    assert all(body_counting.calls[f"{prefix}-new{index}"] == 1 for index in range(EVENTS))
    assert len(set(received)) == EVENTS
