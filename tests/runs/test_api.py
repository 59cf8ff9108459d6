from __future__ import annotations

import json

import pytest
from django.test import override_settings
from django.utils import timezone

from artifacts.services import artifact_create
from runs.models import HitlApproval, Run, RunStatus
from runs.services import gate_open, run_create

pytestmark = pytest.mark.django_db


def _post(client, url, body, **headers):
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


def test_run_creation_is_idempotent_on_run_id(api_client):
    body = {"run_id": "run_fixed", "project": "aismr", "payload": {"topic": "soap"}}
    first = _post(api_client, "/api/v1/runs", body)
    assert first.status_code == 201
    assert first.json()["status"] == "pending"
    again = _post(api_client, "/api/v1/runs", body)
    assert again.status_code == 200
    assert again.json()["created_at"] == first.json()["created_at"]
    different = _post(api_client, "/api/v1/runs", {**body, "payload": {"topic": "sand"}})
    assert different.status_code == 409
    assert different.json()["error"]["code"] == "conflict"
    assert Run.objects.count() == 1


def test_run_creation_generates_a_run_id_and_logs_the_creator(api_client):
    response = _post(api_client, "/api/v1/runs", {"project": "aismr", "status": "pending_workflow"})
    assert response.status_code == 201
    body = response.json()
    assert body["run_id"].startswith("run_")
    assert body["transitions"][0]["actor"] == "api:orchestrator"
    assert body["transitions"][0]["to_status"] == "pending_workflow"


def test_run_creation_rejects_a_started_status(api_client):
    response = _post(api_client, "/api/v1/runs", {"project": "aismr", "status": "running"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_unknown_run_is_404_in_the_shared_error_shape(api_client):
    for url in ("/api/v1/runs/nope", "/api/v1/runs/nope/timeline", "/api/v1/runs/nope/gates"):
        response = api_client.get(url)
        assert response.status_code == 404, url
        assert response.json()["error"]["status"] == 404


def test_api_requires_a_key(anonymous_client):
    assert anonymous_client.get("/api/v1/runs").status_code == 401


def test_list_is_newest_first_and_the_cursor_walks_ties_without_gaps(api_client):
    same_time = timezone.now()
    for i in range(7):
        run_create(project="aismr", run_id=f"run_tie_{i}")
    Run.objects.update(created_at=same_time)
    run_create(project="other", run_id="run_newer")
    seen, url = [], "/api/v1/runs?limit=3"
    while url:
        page = api_client.get(url).json()
        seen += [row["run_id"] for row in page["results"]]
        url = page["next"]
    assert seen[0] == "run_newer"
    assert seen[1:] == [f"run_tie_{i}" for i in reversed(range(7))]


def test_list_filters_by_project_status_and_created_range(api_client, make_run):
    make_run(status=RunStatus.RUNNING, project="aismr")
    make_run(status=RunStatus.PENDING, project="aismr")
    make_run(status=RunStatus.RUNNING, project="other")
    rows = api_client.get("/api/v1/runs?project=aismr&status=running").json()["results"]
    assert [(r["project"], r["status"]) for r in rows] == [("aismr", "running")]
    future = (timezone.now() + timezone.timedelta(hours=1)).isoformat()
    assert api_client.get("/api/v1/runs", {"created_after": future}).json()["results"] == []
    assert len(api_client.get("/api/v1/runs", {"created_before": future}).json()["results"]) == 3
    assert api_client.get("/api/v1/runs?status=bogus").status_code == 422
    assert api_client.get("/api/v1/runs?cursor=%%%").status_code == 422
    assert api_client.get("/api/v1/runs?created_after=yesterday").status_code == 422


def test_status_filter_takes_repeated_and_comma_separated_values(api_client, make_run):
    # Generated clients send a list as ?status=a&status=b (the document's form, exploded).
    make_run(status=RunStatus.RUNNING, project="aismr")
    make_run(status=RunStatus.PENDING, project="aismr")
    make_run(status=RunStatus.FAILED, project="aismr")
    for query in (
        "status=running&status=failed",
        "status=running,failed",
        "status=running&status=failed,running",
    ):
        rows = api_client.get(f"/api/v1/runs?{query}").json()["results"]
        assert sorted(r["status"] for r in rows) == ["failed", "running"], query
    refused = api_client.get("/api/v1/runs?status=running&status=bogus")
    assert refused.status_code == 422 and "bogus" in refused.json()["error"]["message"]


def test_a_run_inserted_after_the_first_page_does_not_shift_later_pages(api_client):
    for i in range(4):
        run_create(project="aismr", run_id=f"run_{i}")
    first = api_client.get("/api/v1/runs?limit=2").json()
    run_create(project="aismr", run_id="run_late")
    second = api_client.get(first["next"]).json()
    ids = [r["run_id"] for r in first["results"] + second["results"]]
    assert sorted(ids) == ["run_0", "run_1", "run_2", "run_3"]


def test_detail_shows_the_open_gate_and_artifact_count(api_client, gate_with_idea):
    gate_request = gate_with_idea()
    body = api_client.get(f"/api/v1/runs/{gate_request.run_id}").json()
    assert body["status"] == "awaiting_approval"
    assert body["open_gate"]["gate"] == "ideate"
    assert body["artifact_count"] == 1


def test_patch_merges_result_and_payload_only_before_start(api_client, make_run):
    run = make_run(status=RunStatus.PENDING)
    url = f"/api/v1/runs/{run.run_id}"
    response = api_client.patch(url, {"result": {"videos": [{"i": 0}]}, "payload": {"x": 1}}, format="json")
    assert response.status_code == 200
    assert response.json()["payload"]["x"] == 1
    api_client.patch(url, {"result": {"renderUrl": "https://r"}}, format="json")
    run.refresh_from_db()
    assert run.result == {"videos": [{"i": 0}], "renderUrl": "https://r"}
    _post(api_client, f"{url}/transition", {"to": "running"})
    refused = api_client.patch(url, {"payload": {"x": 2}}, format="json")
    assert refused.status_code == 409
    assert refused.json()["error"]["details"]["current_status"] == "running"


def test_illegal_transition_answers_409_with_current_status_and_allowed(api_client, make_run):
    run = make_run(status=RunStatus.PENDING)
    response = _post(api_client, f"/api/v1/runs/{run.run_id}/transition", {"to": "published"})
    assert response.status_code == 409
    details = response.json()["error"]["details"]
    assert details == {"current_status": "pending", "allowed": ["cancelled", "failed", "running"]}
    ok = _post(api_client, f"/api/v1/runs/{run.run_id}/transition", {"to": "running", "reason": "picked up"})
    assert ok.status_code == 200
    assert ok.json()["transitions"][-1]["reason"] == "picked up"


def test_stats_count_by_status_per_project_and_since(api_client, make_run):
    make_run(status=RunStatus.RUNNING, project="aismr")
    make_run(status=RunStatus.RUNNING, project="aismr")
    make_run(status=RunStatus.FAILED, project="other")
    body = api_client.get("/api/v1/runs/stats").json()
    assert body["counts"]["running"] == 2 and body["counts"]["failed"] == 1 and body["total"] == 3
    assert api_client.get("/api/v1/runs/stats?project=other").json()["counts"]["running"] == 0
    later = (timezone.now() + timezone.timedelta(minutes=5)).isoformat()
    assert api_client.get("/api/v1/runs/stats", {"since": later}).json()["total"] == 0


def test_timeline_merges_transitions_artifacts_gates_decisions_webhooks_and_checkpoint(
    api_client, gate_with_idea
):
    from runs.services import checkpoint_save, gate_decide
    from webhooks.models import WebhookEvent

    gate_request = gate_with_idea()
    run_id = gate_request.run_id
    WebhookEvent.objects.create(
        idempotency_key="k", provider="kieai", payload=b"{}", signature_status="valid", run_id=run_id
    )
    gate_decide(run_id=run_id, gate="ideate", decision="approve", actor="admin:ann")
    checkpoint_save(run_id=run_id, state={"node": "produce"}, actor="api:o", expected_version=None)
    events = api_client.get(f"/api/v1/runs/{run_id}/timeline").json()["events"]
    kinds = {e["kind"] for e in events}
    assert kinds == {
        "transition",
        "artifact",
        "gate.opened",
        "gate.closed",
        "decision",
        "webhook",
        "checkpoint",
    }
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)


def test_checkpoint_put_get_stale_if_match_is_412_and_a_missing_one_428(api_client, make_run):
    run = make_run()
    url = f"/api/v1/runs/{run.run_id}/checkpoint"
    before = api_client.get(url)
    assert before.json()["version"] == 0 and before.json()["state"] == {} and before["ETag"] == '"0"'
    created = api_client.put(url, {"state": {"step": 1}}, format="json", HTTP_IF_MATCH=before["ETag"])
    assert created.status_code == 201 and created["ETag"] == '"1"'
    fetched = api_client.get(url)
    assert fetched.json()["state"] == {"step": 1} and fetched["ETag"] == '"1"'
    assert api_client.get(url, HTTP_IF_NONE_MATCH='"1"').status_code == 304
    updated = api_client.put(url, {"state": {"step": 2}}, format="json", HTTP_IF_MATCH='"1"')
    assert updated.status_code == 200 and updated["ETag"] == '"2"'
    stale = api_client.put(url, {"state": {"step": 3}}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert stale.json()["error"]["details"]["current_version"] == 2
    first_again = api_client.put(url, {"state": {"step": 3}}, format="json", HTTP_IF_MATCH='"0"')
    assert first_again.status_code == 412
    # A save without If-Match once the checkpoint exists lacks its precondition (RFC 6585).
    blind = api_client.put(url, {"state": {"step": 3}}, format="json")
    assert blind.status_code == 428 and blind.json()["error"]["code"] == "precondition_required"
    assert blind.json()["error"]["details"] == {"current_version": 2, "expected_version": None}
    assert api_client.get(url).json()["state"] == {"step": 2}


@override_settings(CHECKPOINT_MAX_BYTES=100)
def test_checkpoint_over_the_size_limit_is_413(api_client, make_run):
    run = make_run()
    response = api_client.put(
        f"/api/v1/runs/{run.run_id}/checkpoint", {"state": {"x": "y" * 200}}, format="json"
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_gate_endpoints_open_list_and_decide(api_client, make_run):
    run = make_run()
    idea, _ = artifact_create(run_id=run.run_id, type="idea", metadata={"text": "t"})
    url = f"/api/v1/runs/{run.run_id}/gates"
    opened = _post(api_client, url, {"gate": "ideate", "summary": "pick one", "artifact_ids": [str(idea.id)]})
    assert opened.status_code == 201
    assert _post(api_client, url, {"gate": "ideate"}).status_code == 200
    decided = _post(api_client, f"{url}/ideate/decision", {"decision": "approve", "idempotency_key": "abc"})
    assert decided.status_code == 201
    assert decided.json()["gate"]["status"] == "approved"
    replay = _post(api_client, f"{url}/ideate/decision", {"decision": "approve", "idempotency_key": "abc"})
    assert replay.status_code == 200 and replay.json()["recorded"] is False
    listed = api_client.get(url).json()
    assert listed["next_cursor"] is None
    assert listed["results"][0]["decisions"][0]["approver"] == "api:orchestrator"
    assert Run.objects.get(pk=run.pk).status == RunStatus.RUNNING


def test_reject_without_comment_is_422_and_unknown_artifacts_are_404(api_client, gate_with_idea, make_run):
    gate_request = gate_with_idea()
    url = f"/api/v1/runs/{gate_request.run_id}/gates/ideate/decision"
    response = _post(api_client, url, {"decision": "reject"})
    assert response.status_code == 422
    assert "comment" in response.json()["error"]["message"]
    other = make_run()
    bad = _post(
        api_client, f"/api/v1/runs/{other.run_id}/gates", {"gate": "ideate", "artifact_ids": ["nope"]}
    )
    assert bad.status_code == 400  # not a UUID: the shape is wrong
    unknown = _post(
        api_client,
        f"/api/v1/runs/{other.run_id}/gates",
        {"gate": "ideate", "artifact_ids": ["00000000-0000-4000-8000-000000000000"]},
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_artifacts"


def test_decision_records_remote_addr_and_ignores_a_spoofed_forwarded_for(api_client, gate_with_idea):
    gate_request = gate_with_idea()
    url = f"/api/v1/runs/{gate_request.run_id}/gates/ideate/decision"
    _post(
        api_client,
        url,
        {"decision": "approve"},
        REMOTE_ADDR="203.0.113.9",
        HTTP_X_FORWARDED_FOR="1.2.3.4",
        HTTP_USER_AGENT="orchestrator/1.0",
    )
    row = HitlApproval.objects.get()
    assert row.approver_ip == "203.0.113.9"
    assert row.metadata["user_agent"] == "orchestrator/1.0"


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_decision_behind_a_trusted_proxy_takes_the_forwarded_client(api_client, gate_with_idea):
    gate_request = gate_with_idea()
    url = f"/api/v1/runs/{gate_request.run_id}/gates/ideate/decision"
    # The client forged the first entry; our one proxy appended the real client address.
    _post(
        api_client,
        url,
        {"decision": "approve"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.23",
    )
    assert HitlApproval.objects.get().approver_ip == "198.51.100.23"


def test_every_endpoint_is_in_the_openapi_schema(api_client):
    schema = api_client.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for path, methods in {
        "/api/v1/runs": {"get", "post"},
        "/api/v1/runs/stats": {"get"},
        "/api/v1/runs/{run_id}": {"get", "patch"},
        "/api/v1/runs/{run_id}/transition": {"post"},
        "/api/v1/runs/{run_id}/timeline": {"get"},
        "/api/v1/runs/{run_id}/artifacts": {"get", "post"},
        "/api/v1/artifacts": {"get"},
        "/api/v1/runs/{run_id}/checkpoint": {"get", "put"},
        "/api/v1/runs/{run_id}/gates": {"get", "post"},
        "/api/v1/runs/{run_id}/gates/{gate}/decision": {"post"},
    }.items():
        assert methods <= set(paths[path]), path
        for method in methods - {"get"}:
            assert "requestBody" in paths[path][method], (path, method)


def test_gate_open_by_service_is_visible_to_polling(api_client, make_run):
    run = make_run(status=RunStatus.PENDING_WORKFLOW)
    gate_open(run_id=run.run_id, gate="workflow", actor="api:o")
    gates = api_client.get(f"/api/v1/runs/{run.run_id}/gates").json()["results"]
    assert [(g["gate"], g["status"]) for g in gates] == [("workflow", "open")]


def test_timeline_includes_langgraph_checkpoint_writes_without_their_state(api_client, make_run):
    from runs.langgraph.models import LangGraphCheckpoint

    run = make_run()
    LangGraphCheckpoint.objects.create(
        thread_id=run.run_id,
        checkpoint_id="1ef-0001",
        checkpoint={"ts": timezone.now().isoformat(), "channel_values": {"secret_state": "x"}},
        metadata={"step": 3, "source": "loop"},
    )
    events = api_client.get(f"/api/v1/runs/{run.run_id}/timeline").json()["events"]
    graph = [e for e in events if e["actor"] == "langgraph"]
    assert [e["summary"] for e in graph] == ["graph checkpoint (step 3, loop)"]
    assert "secret_state" not in json.dumps(events)
