"""The demo pipeline end to end: real services, provider callbacks over real HTTP, admin approvals."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse

from artifacts.models import Artifact
from myloware.demo import tasks
from myloware.demo.pipeline import build_graph
from myloware.demo.services import pipeline_prepare, pipeline_start
from runs.langgraph import DjangoCheckpointSaver
from runs.models import GateRequest, HitlApproval, OrchestrationCheckpoint, Run, RunTransition
from tests.demo.conftest import demo_settings
from webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def demo(live_server: Any, webhook_loop: None) -> Iterator[None]:
    """The demo's settings, and the webhook loop that processes the providers' callbacks, as
    `make run` runs it."""
    with demo_settings(live_server.url):
        yield


def graph_state(run_id: str) -> Any:
    saver = DjangoCheckpointSaver()
    try:
        return build_graph(saver).get_state({"configurable": {"thread_id": run_id}})
    finally:
        saver.close()


def artifact_types(run_id: str) -> list[str]:
    return sorted(Artifact.objects.filter(run_id=run_id).values_list("type", flat=True))


def decide(client: Any, gate_request: GateRequest, decision: str, comment: str = "", **data: str) -> None:
    url = reverse("admin:runs_pendingapproval_change", args=[gate_request.pk])
    response = client.post(url, {"decision": decision, "comment": comment, **data})
    assert response.status_code == 302


def test_demo_pipeline_runs_end_to_end_with_auto_approve(live_server: Any, capsys: Any) -> None:
    call_command("demo_pipeline", "--auto-approve", "--base-url", live_server.url)

    run = Run.objects.get(project="aismr")
    assert run.status == "published"
    assert artifact_types(run.run_id) == [
        "citations",
        "clip",
        "idea",
        "idea",
        "idea",
        "publish.url",
        "render.url",
        "retrieval.trace",
    ]
    # iggy's search of the knowledge base left its audit trail, citing the demo documents.
    trace = Artifact.objects.get(run_id=run.run_id, type="retrieval.trace")
    cited = [
        item["path"] for item in Artifact.objects.get(run_id=run.run_id, type="citations").metadata["items"]
    ]
    assert (
        trace.retrieval_trace["persona"] == "iggy" and len(trace.retrieval_trace["docIds"]) == len(cited) > 0
    )
    assert any(path.startswith("demo-kb/projects/aismr/") for path in cited)
    # The clip and the render are real video files this server serves itself.
    for kind in ("clip", "render.url"):
        url = Artifact.objects.get(run_id=run.run_id, type=kind).url
        assert url.startswith(f"{live_server.url}/static/demo/")
        video = httpx.get(url)
        assert video.status_code == 200 and video.headers["content-type"] == "video/webm"
        assert video.content[:4] == b"\x1aE\xdf\xa3" and len(video.content) < 300_000  # an EBML (WebM) file
    # The callbacks came in through the webhook endpoint, verified, and were processed.
    events = WebhookEvent.objects.filter(run_id=run.run_id).order_by("received_at")
    assert [(e.provider, e.signature_status, e.status) for e in events] == [
        ("kieai", "valid", "processed"),
        ("shotstack", "valid", "processed"),
    ]
    assert list(
        HitlApproval.objects.filter(run_id=run.run_id).values_list("gate", "decision", "approver")
    ) == [
        ("ideate", "approve", "demo:auto-approve"),
        ("prepublish", "approve", "demo:auto-approve"),
    ]
    assert list(
        RunTransition.objects.filter(run_id=run.run_id).order_by("id").values_list("to_status", flat=True)
    ) == [
        "pending",
        "running",
        "awaiting_approval",
        "running",
        "awaiting_approval",
        "running",
        "published",
    ]
    state = OrchestrationCheckpoint.objects.get(run_id=run.run_id).state
    assert state["outcome"] == "published" and state["publish_url"] == run.result["publishUrls"][0]
    assert "ended published" in capsys.readouterr().out


def test_a_second_demo_run_publishes_too(live_server: Any) -> None:
    """Both runs post the same demo video: their captions name the run, so neither is a duplicate."""
    for _ in range(2):
        call_command("demo_pipeline", "--auto-approve", "--base-url", live_server.url)
    assert sorted(Run.objects.values_list("status", flat=True)) == ["published", "published"]


def test_an_admin_approval_resumes_the_graph_at_its_interrupt(live_server: Any, operator_client: Any) -> None:
    run = pipeline_start(project="aismr", actor="test", base_url=live_server.url)
    waiting = graph_state(run.run_id)
    [interrupt] = waiting.interrupts
    gate_request = GateRequest.objects.get(run_id=run.run_id, gate="ideate", status="open")
    assert run.status == "awaiting_approval"
    assert interrupt.value == {"gate": "ideate", "gate_request_id": gate_request.pk, "run_id": run.run_id}
    # The operator reviews the ideas together with the RAG citations they came from.
    reviewed = set(Artifact.objects.filter(pk__in=gate_request.artifact_ids).values_list("type", flat=True))
    assert reviewed == {"idea", "citations"}

    # The operator goes ahead with iggy's third idea: the resumed graph knows which.
    third_idea = waiting.values["ideas"][2]["artifact_id"]
    decide(operator_client, gate_request, "approve", chosen_idea_id=third_idea)

    resumed = graph_state(run.run_id)
    assert resumed.values["ideate"] == {
        "status": "approved",
        "by": "admin:operator",
        "comment": "",
        "idea": third_idea,
    }
    assert [i.value["gate"] for i in resumed.interrupts] == ["prepublish"]
    assert interrupt.id not in {i.id for i in resumed.interrupts}
    assert Run.objects.get(run_id=run.run_id).status == "awaiting_approval"
    # iggy ran once: the resume started after the gate, not from the beginning.
    assert artifact_types(run.run_id).count("retrieval.trace") == 1
    assert artifact_types(run.run_id).count("clip") == 1

    # The same decision delivered again (tasks may run twice) resumes nothing.
    assert tasks.pipeline_gate_decided(gate_request.pk) == "waiting at the prepublish gate"
    assert artifact_types(run.run_id).count("clip") == 1


def test_a_rejected_gate_ends_the_run_rejected(live_server: Any, operator_client: Any) -> None:
    run = pipeline_start(project="aismr", actor="test", base_url=live_server.url)
    gate_request = GateRequest.objects.get(run_id=run.run_id, gate="ideate", status="open")

    decide(operator_client, gate_request, "reject", comment="ideas too close to last week's")

    ended = graph_state(run.run_id)
    assert Run.objects.get(run_id=run.run_id).status == "rejected"
    assert ended.interrupts == () and ended.next == ()
    assert ended.values["outcome"] == "rejected"
    assert ended.values["ideate"]["comment"] == "ideas too close to last week's"
    assert "clip" not in artifact_types(run.run_id)


def test_a_callback_that_cannot_be_delivered_fails_the_run_naming_where_it_went(
    live_server: Any, operator_client: Any
) -> None:
    with socket.socket() as sock:  # a port nobody listens on once this closes
        sock.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{sock.getsockname()[1]}"
    run = pipeline_start(project="aismr", actor="test", base_url=nowhere)

    decide(operator_client, GateRequest.objects.get(run_id=run.run_id, gate="ideate"), "approve")

    assert Run.objects.get(run_id=run.run_id).status == "failed"
    reason = RunTransition.objects.filter(run_id=run.run_id, to_status="failed").get().reason
    assert f"kieai callback to {nowhere}/api/v1/webhooks/kieai failed: ConnectError" in reason


def test_the_demo_refuses_to_start_without_the_webhook_secrets_it_signs_with() -> None:
    providers = dict(settings.WEBHOOK_PROVIDERS)
    providers["kieai"] = dataclasses.replace(providers["kieai"], secrets=())
    with (
        override_settings(WEBHOOK_PROVIDERS=providers),
        pytest.raises(CommandError, match="WEBHOOK_SECRET_KIEAI"),
    ):
        call_command("demo_pipeline", "--auto-approve")
    assert not Run.objects.exists()


@override_settings(GATE_DISABLED=["ideate"], GATE_APPROVE_TO="pending")
def test_a_disabled_gate_lets_the_graph_through_and_an_approval_to_pending_resumes_running(
    live_server: Any, operator_client: Any
) -> None:
    """The ideate gate is approved as it opens (its hook fires while the graph still runs)."""
    pipeline_prepare(project="aismr", actor="test")
    run = pipeline_start(project="aismr", actor="test", base_url=live_server.url)

    waiting = graph_state(run.run_id)
    assert waiting.values["ideate"]["status"] == "approved"
    assert [i.value["gate"] for i in waiting.interrupts] == ["prepublish"]
    assert Run.objects.get(run_id=run.run_id).status == "awaiting_approval"

    # Approved runs go back to "pending" under this policy: quinn starts it running again.
    decide(operator_client, GateRequest.objects.get(run_id=run.run_id, gate="prepublish"), "approve")

    assert Run.objects.get(run_id=run.run_id).status == "published"
    assert graph_state(run.run_id).values["outcome"] == "published"
