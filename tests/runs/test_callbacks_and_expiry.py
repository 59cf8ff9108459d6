from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta

import httpx
import pytest
import respx
from django.test import override_settings

from runs import services
from runs.models import (
    CallbackEndpoint,
    CallbackStatus,
    GateRequest,
    GateStatus,
    Run,
    RunStatus,
    RunTransition,
)
from runs.services import (
    gate_callback_deliver,
    gate_callbacks_due,
    gate_decide,
    gate_expire_due,
    gate_open,
    register_gate_decided_handler,
)

pytestmark = pytest.mark.django_db

URL = "https://orchestrator.test/hooks/gates"
KEY = b"orchestrator-callback-key-32-bytes!!"
SECRET = "whsec_" + base64.b64encode(KEY).decode()
CALLBACKS = override_settings(ORCHESTRATOR_CALLBACK_URL=URL, ORCHESTRATOR_CALLBACK_SECRET=SECRET)

handled: list[int] = []


def record_call(gate_request_pk: int) -> None:
    """A gate-decided handler used by the hook test."""
    handled.append(gate_request_pk)


def _verify(request: httpx.Request) -> dict:
    """Verify like a Standard-Webhooks receiver would, independently of our signer."""
    msg_id = request.headers["webhook-id"]
    timestamp = request.headers["webhook-timestamp"]
    signed = f"{msg_id}.{timestamp}.".encode() + request.content
    expected = base64.b64encode(hmac.new(KEY, signed, hashlib.sha256).digest()).decode()
    versions = dict(part.split(",", 1) for part in request.headers["webhook-signature"].split())
    assert hmac.compare_digest(versions["v1"], expected)
    return json.loads(request.content)


@CALLBACKS
@respx.mock
def test_decision_callback_is_retried_with_backoff_until_2xx_and_signed(
    gate_with_idea, django_capture_on_commit_callbacks
):
    route = respx.post(URL).mock(
        side_effect=[httpx.Response(500), httpx.ConnectError("down"), httpx.Response(204)]
    )
    gate_request = gate_with_idea()
    with django_capture_on_commit_callbacks(execute=True):
        gate_decide(run_id=gate_request.run_id, gate="ideate", decision="approve", actor="admin:ann")
    gate_request.refresh_from_db()
    assert route.call_count == 1
    assert gate_request.callback_status == CallbackStatus.PENDING and gate_request.callback_attempts == 1
    first_retry = gate_request.callback_next_at
    # Not due yet: nothing is sent.
    assert gate_callbacks_due(now=first_retry - timedelta(seconds=1)) == []
    assert (
        gate_callback_deliver(gate_request_id=gate_request.pk, now=first_retry - timedelta(seconds=1))
        == "pending"
    )
    assert route.call_count == 1
    assert gate_callbacks_due(now=first_retry) == [gate_request.pk]
    assert gate_callback_deliver(gate_request_id=gate_request.pk, now=first_retry) == "pending"
    gate_request.refresh_from_db()
    second_retry = gate_request.callback_next_at
    assert second_retry - first_retry > first_retry - gate_request.decided_at  # backoff grows
    assert gate_callback_deliver(gate_request_id=gate_request.pk, now=second_retry) == "delivered"
    assert route.call_count == 3
    gate_request.refresh_from_db()
    assert gate_request.callback_status == CallbackStatus.DELIVERED and gate_request.callback_attempts == 3
    bodies = [_verify(call.request) for call in route.calls]
    assert bodies[-1]["data"]["status"] == "approved" and bodies[-1]["data"]["run_id"] == gate_request.run_id
    assert len({call.request.headers["webhook-id"] for call in route.calls}) == 1  # same id on retries
    # Delivered: a second run of the task sends nothing.
    assert (
        gate_callback_deliver(gate_request_id=gate_request.pk, now=second_retry + timedelta(days=1))
        == "delivered"
    )
    assert route.call_count == 3


@CALLBACKS
@respx.mock
def test_410_disables_the_endpoint(gate_with_idea, django_capture_on_commit_callbacks):
    respx.post(URL).mock(return_value=httpx.Response(410))
    first, second = gate_with_idea(), gate_with_idea()
    with django_capture_on_commit_callbacks(execute=True):
        gate_decide(run_id=first.run_id, gate="ideate", decision="approve", actor="admin:ann")
    assert GateRequest.objects.get(pk=first.pk).callback_status == CallbackStatus.DISABLED
    assert CallbackEndpoint.objects.get(url=URL).disabled_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        gate_decide(run_id=second.run_id, gate="ideate", decision="approve", actor="admin:ann")
    assert GateRequest.objects.get(pk=second.pk).callback_status == CallbackStatus.DISABLED
    assert respx.calls.call_count == 1


def test_without_an_orchestrator_url_no_callback_is_attempted(
    gate_with_idea, django_capture_on_commit_callbacks
):
    gate_request = gate_with_idea()
    with django_capture_on_commit_callbacks(execute=True):
        gate_decide(run_id=gate_request.run_id, gate="ideate", decision="approve", actor="admin:ann")
    assert GateRequest.objects.get(pk=gate_request.pk).callback_status == CallbackStatus.NOT_CONFIGURED


def test_gate_decided_handlers_are_enqueued_on_commit_with_the_gate_request(
    gate_with_idea, django_capture_on_commit_callbacks
):
    handler = "tests.runs.test_callbacks_and_expiry.record_call"
    register_gate_decided_handler(handler)
    handled.clear()
    gate_request = gate_with_idea()
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            gate_decide(run_id=gate_request.run_id, gate="ideate", decision="approve", actor="admin:ann")
    finally:
        services._GATE_DECIDED_HANDLERS.remove(handler)
    assert handled == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert handled == [gate_request.pk]


def test_gates_expire_past_their_deadline_with_a_controlled_clock(gate_with_idea):
    gate_request = gate_with_idea()
    assert gate_expire_due(now=gate_request.deadline_at - timedelta(seconds=1)) == 0
    assert GateRequest.objects.get(pk=gate_request.pk).status == GateStatus.OPEN
    assert gate_expire_due(now=gate_request.deadline_at + timedelta(seconds=1)) == 1
    gate_request.refresh_from_db()
    assert gate_request.status == GateStatus.EXPIRED
    assert Run.objects.get(pk=gate_request.run_id).status == RunStatus.FAILED
    last = RunTransition.objects.filter(run_id=gate_request.run_id).order_by("-id").first()
    assert (last.to_status, last.reason, last.actor) == ("failed", "approval_expired", "system:gate_expiry")
    assert gate_expire_due(now=gate_request.deadline_at + timedelta(days=1)) == 0


def test_ideate_deadline_defaults_to_24_hours_and_workflow_to_72(gate_with_idea, make_run):
    ideate = gate_with_idea()
    assert ideate.deadline_at - ideate.opened_at == timedelta(hours=24)
    run = make_run(status=RunStatus.PENDING_WORKFLOW)
    workflow, _ = gate_open(run_id=run.run_id, gate="workflow", actor="api:o")
    assert workflow.deadline_at - workflow.opened_at == timedelta(hours=72)


def test_scheduled_jobs_are_declared():
    from runs.schedules import SCHEDULES

    assert {s["func"] for s in SCHEDULES} == {
        "runs.tasks.gates_expire_due",
        "runs.tasks.gate_callbacks_retry_due",
        "runs.tasks.gate_notifications_due",
        "runs.tasks.run_status_counts_fold",
        "runs.langgraph.tasks.prune_checkpoints",
    }


def test_expire_gates_command_expires_overdue_gates(gate_with_idea):
    from io import StringIO

    from django.core.management import call_command

    gate_request = gate_with_idea()
    GateRequest.objects.filter(pk=gate_request.pk).update(
        deadline_at=gate_request.opened_at - timedelta(seconds=1)
    )
    out = StringIO()
    call_command("expire_gates", stdout=out)
    assert "expired 1 gate" in out.getvalue()
    assert Run.objects.get(pk=gate_request.run_id).status == RunStatus.FAILED


@CALLBACKS
@respx.mock
def test_deliver_gate_callbacks_command_sends_due_callbacks(gate_with_idea):
    from io import StringIO

    from django.core.management import call_command

    route = respx.post(URL).mock(return_value=httpx.Response(200))
    gate_request = gate_with_idea()
    gate_decide(
        run_id=gate_request.run_id, gate="ideate", decision="approve", actor="admin:ann"
    )  # on_commit not run
    out = StringIO()
    call_command("deliver_gate_callbacks", stdout=out)
    assert route.call_count == 1
    assert GateRequest.objects.get(pk=gate_request.pk).callback_status == CallbackStatus.DELIVERED
