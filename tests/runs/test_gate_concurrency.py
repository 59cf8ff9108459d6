from __future__ import annotations

import pytest

from myloware.lib.errors import Conflict
from runs.models import GateStatus, HitlApproval, Run, RunStatus, RunTransition
from runs.selectors import gate_is_approved
from runs.services import gate_decide, gate_open, run_create, run_transition
from tests.race import race

pytestmark = pytest.mark.django_db(transaction=True)


def _waiting_run(run_id: str) -> Run:
    run = run_create(project="p", run_id=run_id)
    run_transition(run_id=run_id, to=RunStatus.RUNNING, actor="t")
    gate_open(run_id=run_id, gate="prepublish", actor="api:o")
    return run


def test_two_operators_deciding_at_once_give_one_outcome_and_one_run_move():
    run = _waiting_run("run_two_ops")
    decisions = [("approve", "admin:ann", ""), ("reject", "admin:bob", "too loud")]
    outcomes = race(
        2,
        lambda i: gate_decide(
            run_id=run.run_id,
            gate="prepublish",
            decision=decisions[i][0],
            actor=decisions[i][1],
            comment=decisions[i][2],
        ),
    )
    conflicts = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(conflicts) == 1 and "already" in conflicts[0].message
    assert HitlApproval.objects.filter(run=run).count() == 1
    moves = RunTransition.objects.filter(run=run, from_status=RunStatus.AWAITING_APPROVAL)
    assert moves.count() == 1
    final = Run.objects.get(pk=run.pk).status
    assert final == (
        RunStatus.RUNNING if gate_is_approved(run_id=run.run_id, gate="prepublish") else RunStatus.REJECTED
    )


def test_double_click_records_one_decision():
    run = _waiting_run("run_double")
    outcomes = race(
        2,
        lambda i: gate_decide(
            run_id=run.run_id,
            gate="prepublish",
            decision="approve",
            actor="admin:ann",
            idempotency_key="form-1",
        ),
    )
    assert not any(isinstance(o, Exception) for o in outcomes), outcomes
    assert sorted(o.recorded for o in outcomes) == [False, True]
    assert HitlApproval.objects.filter(run=run).count() == 1
    assert Run.objects.get(pk=run.pk).status == RunStatus.RUNNING


def test_cancel_racing_a_decision_does_not_deadlock_and_leaves_one_story():
    run = _waiting_run("run_cancel_vs_decide")
    work = [
        lambda: gate_decide(run_id=run.run_id, gate="prepublish", decision="approve", actor="admin:ann"),
        lambda: run_transition(run_id=run.run_id, to=RunStatus.CANCELLED, actor="api:o"),
    ]
    race(2, lambda i: work[i]())
    run.refresh_from_db()
    gate = run.gate_requests.get()
    if run.status == RunStatus.CANCELLED and gate.status == GateStatus.CANCELLED:
        assert not HitlApproval.objects.filter(run=run).exists()
    else:
        # Approved first (run → running), then cancelled from running.
        assert gate.status == GateStatus.APPROVED and run.status == RunStatus.CANCELLED
