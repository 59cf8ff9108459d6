"""The idea a run goes ahead with: chosen by the approval of its ideate gate (admin and API), by
default the first idea under review, recorded on the gate, its decision row and its callback."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from artifacts.services import artifact_create
from myloware.lib.errors import Conflict, InvalidInput
from runs.models import GatePolicy, GateRequest, GateStatus, HitlApproval, Run
from runs.selectors import chosen_idea
from runs.services import gate_callback_body, gate_decide, gate_open

pytestmark = pytest.mark.django_db

IDEAS = ("Slow close-up, one take", "Three textures in thirty seconds", "Hands only, top-down")


def ideate_gate(run: Run) -> tuple[GateRequest, list[str], str]:
    """An ideate gate over three ideas and a script; returns the gate, the ideas' ids and the
    script's id."""
    ideas = [
        str(artifact_create(run_id=run.run_id, type="idea", persona="iggy", metadata={"text": text})[0].id)
        for text in IDEAS
    ]
    script = str(artifact_create(run_id=run.run_id, type="script", metadata={"text": "a script"})[0].id)
    # Listed best first, which is not the order they were created in.
    listed = [ideas[1], ideas[0], ideas[2], script]
    gate_request, _ = gate_open(
        run_id=run.run_id, gate="ideate", actor="api:orchestrator", artifact_ids=listed
    )
    return gate_request, ideas, script


def approve(gate_request: GateRequest, actor: str = "admin:ann", **kwargs: Any) -> Any:
    return gate_decide(run_id=gate_request.run_id, gate="ideate", decision="approve", actor=actor, **kwargs)


def test_the_approval_records_the_idea_it_chooses(make_run: Any) -> None:
    gate_request, ideas, _ = ideate_gate(make_run())
    result = approve(gate_request, chosen_idea_id=ideas[2])
    assert result.gate_request.status == GateStatus.APPROVED
    assert str(result.gate_request.chosen_idea_id) == ideas[2]
    assert HitlApproval.objects.get().metadata["chosen_idea_id"] == ideas[2]
    assert gate_callback_body(result.gate_request)["data"]["chosen_idea_id"] == ideas[2]
    assert chosen_idea(run_id=gate_request.run_id) == IDEAS[2]


def test_without_a_choice_the_run_goes_ahead_with_the_first_idea_the_gate_lists(make_run: Any) -> None:
    gate_request, ideas, _ = ideate_gate(make_run())
    result = approve(gate_request)
    assert str(result.gate_request.chosen_idea_id) == ideas[1]
    assert HitlApproval.objects.get().metadata["chosen_idea_id"] is None  # nobody chose
    assert chosen_idea(run_id=gate_request.run_id) == IDEAS[1]


def test_a_gate_disabled_by_policy_goes_ahead_with_the_first_idea(make_run: Any) -> None:
    GatePolicy.objects.create(project="aismr", gate="ideate", deadline_hours=24, enabled=False)
    gate_request, ideas, _ = ideate_gate(make_run())
    assert gate_request.status == GateStatus.APPROVED and str(gate_request.chosen_idea_id) == ideas[1]


@pytest.mark.parametrize("choice", ["a script", "another run's idea", "unknown", "not a uuid"])
def test_only_an_idea_under_review_can_be_chosen(make_run: Any, choice: str) -> None:
    gate_request, _, script = ideate_gate(make_run())
    other_run_idea = str(
        artifact_create(run_id=make_run().run_id, type="idea", metadata={"text": "elsewhere"})[0].id
    )
    chosen = {
        "a script": script,
        "another run's idea": other_run_idea,
        "unknown": str(uuid.uuid4()),
        "not a uuid": "idea-1",
    }[choice]
    with pytest.raises(InvalidInput) as refused:
        approve(gate_request, chosen_idea_id=chosen)
    assert refused.value.code == "unknown_idea"
    gate_request.refresh_from_db()
    assert gate_request.status == GateStatus.OPEN and gate_request.chosen_idea_id is None
    assert not HitlApproval.objects.exists()


def test_a_rejection_chooses_no_idea(make_run: Any) -> None:
    gate_request, ideas, _ = ideate_gate(make_run())
    with pytest.raises(InvalidInput, match="Only an approval chooses an idea"):
        gate_decide(
            run_id=gate_request.run_id,
            gate="ideate",
            decision="reject",
            actor="admin:ann",
            comment="no",
            chosen_idea_id=ideas[0],
        )
    result = gate_decide(
        run_id=gate_request.run_id, gate="ideate", decision="reject", actor="admin:ann", comment="no"
    )
    assert result.gate_request.chosen_idea_id is None
    assert chosen_idea(run_id=gate_request.run_id) is None


def test_approvers_of_one_gate_go_ahead_with_the_same_idea(make_run: Any) -> None:
    GatePolicy.objects.create(project="aismr", gate="ideate", deadline_hours=24, required_approvals=2)
    gate_request, ideas, _ = ideate_gate(make_run())
    approve(gate_request, chosen_idea_id=ideas[2])
    with pytest.raises(Conflict) as refused:
        approve(gate_request, actor="admin:bob", chosen_idea_id=ideas[0])
    assert refused.value.code == "other_idea_chosen" and refused.value.details == {"chosen_idea_id": ideas[2]}
    # Bob approving without a choice (or with the same one) agrees with Ann's.
    result = approve(gate_request, actor="admin:bob")
    assert result.gate_request.status == GateStatus.APPROVED
    assert str(result.gate_request.chosen_idea_id) == ideas[2]


def test_the_api_takes_the_choice_and_answers_it(api_client: Any, make_run: Any) -> None:
    gate_request, ideas, script = ideate_gate(make_run())
    url = f"/api/v1/runs/{gate_request.run_id}/gates/ideate/decision"
    refused = api_client.post(url, {"decision": "approve", "chosen_idea_id": script}, format="json")
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "unknown_idea"
    malformed = api_client.post(url, {"decision": "approve", "chosen_idea_id": "idea-1"}, format="json")
    assert malformed.status_code == 400 and "chosen_idea_id" in malformed.text
    answer = api_client.post(url, {"decision": "approve", "chosen_idea_id": ideas[0]}, format="json")
    assert answer.status_code == 201
    assert answer.json()["gate"]["chosen_idea_id"] == ideas[0]
    assert answer.json()["decision"]["metadata"]["chosen_idea_id"] == ideas[0]


def test_the_decision_page_offers_the_ideas_and_records_the_one_picked(
    operator_client: Any, make_run: Any
) -> None:
    gate_request, ideas, script = ideate_gate(make_run())
    url = reverse("admin:runs_pendingapproval_change", args=[gate_request.pk])
    page = operator_client.get(url).content.decode()
    # One radio per idea (none for the script), the first idea listed picked by default.
    assert page.count('name="chosen_idea_id"') == 3 and f'value="{script}"' not in page
    assert f'value="{ideas[1]}" form="decision-form" checked' in page
    junk = operator_client.post(url, {"decision": "approve", "chosen_idea_id": "notauuid"})
    assert junk.status_code == 422 and "is not an idea under review" in junk.content.decode()
    done = operator_client.post(url, {"decision": "approve", "chosen_idea_id": ideas[0]}, follow=True)
    assert "Your approval of the ideate gate" in done.content.decode()
    gate_request.refresh_from_db()
    assert str(gate_request.chosen_idea_id) == ideas[0]
    closed = operator_client.get(url).content.decode()
    assert 'name="chosen_idea_id"' not in closed and closed.count('id="chosen-idea-mark"') == 1
    assert closed.index(ideas[0]) < closed.index('id="chosen-idea-mark"')


def test_the_migration_gives_earlier_approved_gates_their_first_idea(make_run: Any) -> None:
    approved, ideas, _ = ideate_gate(make_run())
    approve(approved)
    still_open, _, _ = ideate_gate(make_run())
    with connection.cursor() as cursor:
        # The test's transaction holds deferred foreign-key checks, and PostgreSQL alters no table
        # with checks pending: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor = MigrationExecutor(connection)
    executor.migrate([("runs", "0010_gate_notifications_cascade")])
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert str(GateRequest.objects.get(pk=approved.pk).chosen_idea_id) == ideas[1]
    assert GateRequest.objects.get(pk=still_open.pk).chosen_idea_id is None
