"""A gate policy names who may decide (users or groups): the service refuses anyone else, the
admin shows them the gate read-only, API keys keep their scope rule, quorum and the
self-approval rule still hold."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from rest_framework.test import APIClient

from artifacts.services import artifact_create
from myloware.lib.errors import PermissionDenied
from runs.models import GatePolicy, GateRequest, GateStatus, HitlApproval, Run, RunStatus
from runs.services import gate_decide, gate_open, run_create, run_transition

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_operator: Callable[[str], User]) -> dict[str, User]:
    """ann and bob are assigned by name, the reviewers group has gil; carl is an operator only."""
    users = {name: make_operator(name) for name in ("ann", "bob", "carl", "gil")}
    Group.objects.create(name="reviewers").user_set.add(users["gil"])
    return users


def assign(*, users: list[User] = (), groups: list[str] = (), **fields) -> GatePolicy:  # type: ignore[assignment]
    policy = GatePolicy.objects.create(project="aismr", gate="ideate", deadline_hours=24, **fields)
    policy.approver_users.set(users)
    policy.approver_groups.set(Group.objects.filter(name__in=groups))
    return policy


def open_ideate(*, creator: str = "api:orchestrator") -> GateRequest:
    run = run_create(project="aismr", actor=creator)
    run_transition(run_id=run.run_id, to=RunStatus.RUNNING, actor=creator)
    idea, _ = artifact_create(run_id=run.run_id, type="idea", persona="iggy", metadata={"text": "soap"})
    gate_request, _ = gate_open(run_id=run.run_id, gate="ideate", actor=creator, artifact_ids=[str(idea.id)])
    return gate_request


def decide(
    gate_request: GateRequest, actor: str, decision: str = "approve", comment: str = ""
) -> GateRequest:
    return gate_decide(
        run_id=gate_request.run_id, gate="ideate", decision=decision, actor=actor, comment=comment
    ).gate_request


def test_only_assigned_users_and_members_of_assigned_groups_may_decide(people):
    assign(users=[people["ann"]], groups=["reviewers"])
    first, second = open_ideate(), open_ideate()
    assert (first.approver_user_ids, first.approver_group_ids) == (
        [people["ann"].pk],
        [Group.objects.get(name="reviewers").pk],
    )
    for actor, decision in (
        ("admin:carl", "approve"),
        ("admin:carl", "reject"),
        ("demo:auto-approve", "approve"),
    ):
        with pytest.raises(PermissionDenied) as refused:
            decide(first, actor, decision, comment="no")
        assert refused.value.code == "not_assigned" and refused.value.http_status == 403
        assert "it is assigned to ann, group reviewers" in refused.value.message
    assert not HitlApproval.objects.exists()
    assert decide(first, "admin:ann").status == GateStatus.APPROVED
    assert decide(second, "admin:gil", "reject", comment="Too loud").status == GateStatus.REJECTED


def test_leaving_the_group_takes_the_right_away_but_editing_the_policy_changes_no_open_gate(people):
    policy = assign(groups=["reviewers"])
    gate_request = open_ideate()
    policy.approver_groups.clear()
    policy.approver_users.set([people["carl"]])
    Group.objects.get(name="reviewers").user_set.remove(people["gil"])
    for actor in ("admin:gil", "admin:carl"):
        with pytest.raises(PermissionDenied):
            decide(gate_request, actor)
    # The next gate follows the edited policy.
    assert decide(open_ideate(), "admin:carl").status == GateStatus.APPROVED


def test_api_keys_keep_their_scope_rule_on_an_assigned_gate(people, api_client, make_api_key):
    assign(users=[people["ann"]])
    gate_request = open_ideate()
    url = f"/api/v1/runs/{gate_request.run_id}/gates/ideate/decision"
    _, no_scope = make_api_key("reader", scopes=("runs",))
    refused = APIClient().post(url, {"decision": "approve"}, format="json", HTTP_X_API_KEY=no_scope)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "missing_scope"
    answer = api_client.post(url, {"decision": "approve"}, format="json")
    assert answer.status_code == 201
    assert answer.json()["gate"]["status"] == GateStatus.APPROVED


def test_the_quorum_counts_only_assigned_approvers(people):
    assign(users=[people["ann"], people["bob"]], required_approvals=2)
    gate_request = open_ideate()
    assert decide(gate_request, "admin:ann").status == GateStatus.OPEN
    with pytest.raises(PermissionDenied):
        decide(gate_request, "admin:carl")
    assert decide(gate_request, "admin:ann").status == GateStatus.OPEN  # the same approver counts once
    assert decide(gate_request, "admin:bob").status == GateStatus.APPROVED
    assert Run.objects.get(pk=gate_request.run_id).status == RunStatus.RUNNING


def test_an_assigned_creator_still_may_not_approve_their_own_run(people):
    assign(users=[people["ann"], people["bob"]], allow_self_approval=False)
    gate_request = open_ideate(creator="admin:ann")
    with pytest.raises(PermissionDenied) as refused:
        decide(gate_request, "admin:ann")
    assert refused.value.code == "self_approval"
    assert decide(gate_request, "admin:bob").status == GateStatus.APPROVED


def _page(client, user: User, gate_request: GateRequest) -> str:
    client.force_login(user)
    return client.get(reverse("admin:runs_pendingapproval_change", args=[gate_request.pk])).content.decode()


def test_the_decision_page_is_read_only_for_an_operator_who_is_not_assigned(client, people):
    assign(users=[people["ann"]], groups=["reviewers"])
    gate_request = open_ideate()
    html = _page(client, people["carl"], gate_request)
    assert 'id="approve-button"' not in html and 'id="decision-form"' not in html
    assert "This gate is assigned to ann, group reviewers: you can review it but not decide it." in html
    assert "May decide: ann, group reviewers." in html
    response = client.post(
        reverse("admin:runs_pendingapproval_change", args=[gate_request.pk]), {"decision": "approve"}
    )
    assert response.status_code == 403
    assert "may not decide the ideate gate" in response.content.decode()
    assert not HitlApproval.objects.exists()
    for assigned in (people["ann"], people["gil"]):
        assert 'id="approve-button"' in _page(client, assigned, gate_request)


def test_a_bulk_approval_by_an_operator_who_is_not_assigned_leaves_the_gate_open(
    client, people, gate_with_idea
):
    assign(users=[people["ann"]])
    assigned_gate, free_gate = open_ideate(), gate_with_idea(project="other")
    client.force_login(people["carl"])
    response = client.post(
        reverse("admin:runs_pendingapproval_changelist"),
        {"action": "approve_selected", "_selected_action": [assigned_gate.pk, free_gate.pk]},
        follow=True,
    )
    html = response.content.decode()
    assert "Approved 1 gate." in html and "may not decide the ideate gate" in html
    assert GateRequest.objects.get(pk=assigned_gate.pk).status == GateStatus.OPEN
    assert GateRequest.objects.get(pk=free_gate.pk).status == GateStatus.APPROVED
