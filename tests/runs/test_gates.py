from __future__ import annotations

import pytest

from myloware.lib.errors import Conflict, InvalidInput, PermissionDenied
from runs.models import GatePolicy, GateStatus, HitlApproval, Run, RunStatus
from runs.selectors import gate_is_approved
from runs.services import gate_decide, gate_open

pytestmark = pytest.mark.django_db


def test_opening_an_ideate_gate_makes_the_run_wait(gate_with_idea):
    gate_request = gate_with_idea()
    assert gate_request.status == GateStatus.OPEN
    assert Run.objects.get(pk=gate_request.run_id).status == RunStatus.AWAITING_APPROVAL


def test_opening_the_same_open_gate_again_returns_it(gate_with_idea):
    gate_request = gate_with_idea()
    again, created = gate_open(run_id=gate_request.run_id, gate="ideate", actor="api:orchestrator")
    assert (again.pk, created) == (gate_request.pk, False)


def test_workflow_gate_keeps_the_run_pending_workflow_until_approved(make_run):
    run = make_run(status=RunStatus.PENDING_WORKFLOW)
    gate_open(run_id=run.run_id, gate="workflow", actor="api:orchestrator")
    assert Run.objects.get(pk=run.pk).status == RunStatus.PENDING_WORKFLOW
    gate_decide(run_id=run.run_id, gate="workflow", decision="approve", actor="admin:ann")
    assert Run.objects.get(pk=run.pk).status == RunStatus.PENDING
    assert gate_is_approved(run_id=run.run_id, gate="workflow")


def test_approval_moves_the_run_and_appends_one_row(gate_with_idea):
    gate_request = gate_with_idea()
    result = gate_decide(
        run_id=gate_request.run_id,
        gate="ideate",
        decision="approve",
        actor="admin:ann",
        approver_ip="10.0.0.7",
        user_agent="pytest",
    )
    assert result.recorded and result.gate_request.status == GateStatus.APPROVED
    assert Run.objects.get(pk=gate_request.run_id).status == RunStatus.RUNNING
    row = HitlApproval.objects.get(run_id=gate_request.run_id)
    assert (row.approver, row.approver_ip, row.decision) == ("admin:ann", "10.0.0.7", "approve")
    assert row.metadata["user_agent"] == "pytest"
    assert row.metadata["content_hash"] == gate_request.content_hash


def test_reject_needs_a_comment_and_vetoes_at_once(gate_with_idea):
    GatePolicy.objects.create(project="*", gate="ideate", deadline_hours=24, required_approvals=3)
    gate_request = gate_with_idea()
    with pytest.raises(InvalidInput, match="comment"):
        gate_decide(run_id=gate_request.run_id, gate="ideate", decision="reject", actor="admin:ann")
    gate_decide(run_id=gate_request.run_id, gate="ideate", decision="approve", actor="admin:bob")
    gate_decide(
        run_id=gate_request.run_id, gate="ideate", decision="reject", actor="admin:ann", comment="off-brand"
    )
    gate_request.refresh_from_db()
    assert gate_request.status == GateStatus.REJECTED
    assert Run.objects.get(pk=gate_request.run_id).status == RunStatus.REJECTED


def test_a_different_decision_on_a_closed_gate_is_refused_naming_who_decided(gate_with_idea):
    gate_request = gate_with_idea()
    gate_decide(run_id=gate_request.run_id, gate="ideate", decision="approve", actor="admin:ann")
    with pytest.raises(Conflict, match="admin:ann") as caught:
        gate_decide(
            run_id=gate_request.run_id, gate="ideate", decision="reject", actor="admin:bob", comment="no"
        )
    assert caught.value.details["decided_by"] == "admin:ann"
    assert HitlApproval.objects.count() == 1


def test_same_idempotency_key_returns_the_stored_outcome(gate_with_idea):
    gate_request = gate_with_idea()
    first = gate_decide(
        run_id=gate_request.run_id, gate="ideate", decision="approve", actor="api:bot", idempotency_key="k1"
    )
    again = gate_decide(
        run_id=gate_request.run_id, gate="ideate", decision="approve", actor="api:bot", idempotency_key="k1"
    )
    assert again.recorded is False and again.approval.pk == first.approval.pk
    assert HitlApproval.objects.count() == 1


def test_quorum_of_two_distinct_approvers(gate_with_idea):
    GatePolicy.objects.create(project="aismr", gate="ideate", deadline_hours=24, required_approvals=2)
    gate_request = gate_with_idea()
    gate_decide(run_id=gate_request.run_id, gate="ideate", decision="approve", actor="admin:ann")
    # The same approver twice is one approval.
    repeat = gate_decide(run_id=gate_request.run_id, gate="ideate", decision="approve", actor="admin:ann")
    assert repeat.recorded is False
    gate_request.refresh_from_db()
    assert gate_request.status == GateStatus.OPEN
    assert Run.objects.get(pk=gate_request.run_id).status == RunStatus.AWAITING_APPROVAL
    gate_decide(run_id=gate_request.run_id, gate="ideate", decision="approve", actor="admin:bob")
    gate_request.refresh_from_db()
    assert gate_request.status == GateStatus.APPROVED
    assert HitlApproval.objects.filter(gate_request=gate_request).count() == 2


def test_self_approval_is_refused_when_the_policy_forbids_it(gate_with_idea):
    GatePolicy.objects.create(project="*", gate="ideate", deadline_hours=24, allow_self_approval=False)
    gate_request = gate_with_idea(actor="admin:carol")
    with pytest.raises(PermissionDenied, match="own run"):
        gate_decide(run_id=gate_request.run_id, gate="ideate", decision="approve", actor="admin:carol")
    gate_decide(run_id=gate_request.run_id, gate="ideate", decision="approve", actor="admin:dave")
    assert gate_is_approved(run_id=gate_request.run_id, gate="ideate")


def test_self_approval_is_allowed_by_default(gate_with_idea):
    gate_request = gate_with_idea(actor="admin:carol")
    gate_decide(run_id=gate_request.run_id, gate="ideate", decision="approve", actor="admin:carol")
    assert gate_is_approved(run_id=gate_request.run_id, gate="ideate")


def test_approval_of_changed_content_is_refused_until_re_review(gate_with_idea):
    from artifacts.models import Artifact

    gate_request = gate_with_idea()
    Artifact.objects.filter(pk=gate_request.artifact_ids[0]).update(metadata={"text": "swapped idea"})
    with pytest.raises(Conflict) as caught:
        gate_decide(run_id=gate_request.run_id, gate="ideate", decision="approve", actor="admin:ann")
    assert caught.value.code == "stale_content"
    current = caught.value.details["current_content_hash"]
    assert current != gate_request.content_hash
    assert HitlApproval.objects.count() == 0
    gate_decide(
        run_id=gate_request.run_id, gate="ideate", decision="approve", actor="admin:ann", content_hash=current
    )
    assert gate_is_approved(run_id=gate_request.run_id, gate="ideate")


def test_disabled_gate_is_approved_on_opening(make_run):
    GatePolicy.objects.create(project="aismr", gate="ideate", deadline_hours=24, enabled=False)
    run = make_run()
    gate_request, created = gate_open(run_id=run.run_id, gate="ideate", actor="api:orchestrator")
    assert created and gate_request.status == GateStatus.APPROVED
    assert Run.objects.get(pk=run.pk).status == RunStatus.RUNNING


def test_cancelling_a_waiting_run_closes_its_gate(gate_with_idea):
    from runs.services import run_transition

    gate_request = gate_with_idea()
    run_transition(run_id=gate_request.run_id, to=RunStatus.CANCELLED, actor="admin:ann", reason="stop")
    gate_request.refresh_from_db()
    assert gate_request.status == GateStatus.CANCELLED
    with pytest.raises(Conflict, match="cancelled"):
        gate_decide(run_id=gate_request.run_id, gate="ideate", decision="approve", actor="admin:ann")


def test_the_database_refuses_to_edit_a_decision(gate_with_idea):
    from django.db import DatabaseError, transaction

    gate_request = gate_with_idea()
    gate_decide(run_id=gate_request.run_id, gate="ideate", decision="approve", actor="admin:ann")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        HitlApproval.objects.update(approver="admin:mallory")
    assert HitlApproval.objects.get().approver == "admin:ann"
