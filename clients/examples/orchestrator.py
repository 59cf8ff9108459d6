"""An orchestrator outside Django, using only the generated Python client (clients/python).

It drives one run through the API the way the LangGraph orchestrator does: create the run with
its payload, start it, record a retrieval trace and the citations that rest on it, save and read
its checkpoint with If-Match, open the prepublish gate and wait for a reviewer's decision (a second
API key with ``gates:decide`` plays the reviewer), publish, and read the run's artifacts page by
page. Along the way it meets a 404, a 409, a 412, a 428 and a 403 and handles each by its parsed
error. docs/clients.md walks through it; tests/api/test_clients.py runs it against gunicorn.

    PYTHONPATH=clients/python python clients/examples/orchestrator.py http://127.0.0.1:8000 PROJECT

The keys come from the environment: ``MYLOWARE_API_KEY`` (scopes runs, artifacts, checkpoints,
socials:read, socials:publish) and ``MYLOWARE_REVIEWER_KEY`` (gates:decide). The project needs a
primary social account (``POST /api/v1/projects/{project}/socials``).
"""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid
from typing import Any, TypeVar

from myloware_client import AuthenticatedClient
from myloware_client.api.artifacts import runs_artifacts_create, runs_artifacts_list
from myloware_client.api.checkpoints import runs_checkpoint_get, runs_checkpoint_put
from myloware_client.api.gates import runs_gates_decide, runs_gates_list, runs_gates_open
from myloware_client.api.publishing import runs_publish
from myloware_client.api.runs import runs_create, runs_retrieve, runs_transition
from myloware_client.models import (
    Artifact,
    ArtifactCreateRequest,
    ArtifactPage,
    Checkpoint,
    CheckpointPutRequest,
    Citation,
    Citations,
    Error,
    ErrorDetails,
    Gate,
    GateApproveInDecisionEnum,
    GateApproveInRequest,
    GateDecisionOut,
    GateNameEnum,
    GateOpenRequest,
    GatePage,
    GateStatusEnum,
    JsonObject,
    PublishRequest,
    PublishResponse,
    RetrievalTrace,
    Run,
    RunCreateRequest,
    RunStatusEnum,
    TransitionInRequest,
)
from myloware_client.types import UNSET, Response, Unset

T = TypeVar("T")
DECISION_TIMEOUT_SECONDS = 60


def api(base_url: str, key: str) -> AuthenticatedClient:
    # The key goes in X-API-Key, as is: no "Bearer" prefix.
    return AuthenticatedClient(base_url=base_url, token=key, prefix="", auth_header_name="X-API-Key")


def expect(response: Response[Any], status: int, kind: type[T]) -> T:
    """The parsed answer, when the API answered ``status`` with a ``kind``; otherwise stop."""
    if response.status_code != status or not isinstance(response.parsed, kind):
        raise SystemExit(
            f"expected {status} {kind.__name__}, got {response.status_code}: {response.content!r}"
        )
    return response.parsed


def refused(response: Response[Any], status: int) -> ErrorDetails:
    """The parsed error of an answer that had to be ``status``; returns its details."""
    error = expect(response, status, Error).error
    print(f"  {status} {error.code}: {error.message}")
    return error.details if isinstance(error.details, ErrorDetails) else ErrorDetails()


def main(base_url: str, project: str) -> None:
    with api(base_url, os.environ["MYLOWARE_API_KEY"]) as client:
        print("404: a run that does not exist")
        refused(runs_retrieve.sync_detailed("no-such-run", client=client), 404)

        print("create the run with its payload, then start it")
        payload = JsonObject.from_dict({"topic": "rain on a tin roof", "persona": "ideator", "steps": 3})
        body = RunCreateRequest(project=project, run_id=f"example-{uuid.uuid4().hex[:12]}", payload=payload)
        run = expect(runs_create.sync_detailed(client=client, body=body), 201, Run)
        running = TransitionInRequest(to=RunStatusEnum.RUNNING, reason="orchestrator started")
        run = expect(runs_transition.sync_detailed(run.run_id, client=client, body=running), 200, Run)
        print(f"  {run.run_id} is {run.status.value}, payload {run.payload.to_dict()}")

        print("409: a move the run's status does not allow")
        back = TransitionInRequest(to=RunStatusEnum.PENDING)
        details = refused(runs_transition.sync_detailed(run.run_id, client=client, body=back), 409)
        print(f"  current_status {details.current_status}, allowed {details.allowed}")

        record_artifacts(client, run.run_id, project)
        save_checkpoints(client, run.run_id)
        review_and_publish(client, base_url, run.run_id)
        follow_pages(client, run.run_id)
    print("done")


def record_artifacts(client: AuthenticatedClient, run_id: str, project: str) -> None:
    print("artifacts: a retrieval trace, the citations it backs, the render")
    trace = RetrievalTrace(
        query="sounds that calm",
        doc_ids=["kb-rain", "kb-tin"],
        similarities=[0.83, 0.71],
        persona="ideator",
        project=project,
    )
    traced = ArtifactCreateRequest(type_="retrieval.trace", persona="ideator", retrieval_trace=trace)
    trace_artifact = expect(
        runs_artifacts_create.sync_detailed(run_id, client=client, body=traced), 201, Artifact
    )
    items = [Citation(doc_id="kb-rain", path="projects/aismr/rain.md", reason="the sound of rain")]
    cited = ArtifactCreateRequest(
        type_="citations", persona="ideator", metadata=Citations(items=items, trace_id=trace_artifact.id)
    )
    expect(runs_artifacts_create.sync_detailed(run_id, client=client, body=cited), 201, Artifact)
    render = ArtifactCreateRequest(type_="render.url", url="https://cdn.example.com/renders/rain.mp4")
    expect(runs_artifacts_create.sync_detailed(run_id, client=client, body=render), 201, Artifact)
    print(f"  trace {trace_artifact.id} of {len(trace.doc_ids)} documents, citations, render")


def save_checkpoints(client: AuthenticatedClient, run_id: str) -> None:
    print("checkpoint: read, save with If-Match, re-read with If-None-Match")
    read = runs_checkpoint_get.sync_detailed(run_id, client=client)
    before = expect(read, 200, Checkpoint)
    etag = read.headers["ETag"]  # '"0"' before the first save
    state = CheckpointPutRequest(
        state=JsonObject.from_dict({"node": "ideate", "version_read": before.version})
    )
    saved = runs_checkpoint_put.sync_detailed(run_id, client=client, body=state, if_match=etag)
    expect(saved, 201, Checkpoint)
    etag = saved.headers["ETag"]
    unchanged = runs_checkpoint_get.sync_detailed(run_id, client=client, if_none_match=etag)
    print(f"  saved {etag}; reading it again with If-None-Match: {unchanged.status_code}")

    print("412: a save with a stale If-Match (someone else saved first)")
    details = refused(
        runs_checkpoint_put.sync_detailed(run_id, client=client, body=state, if_match='"0"'), 412
    )
    print(f"  current_version {details.current_version}: reload, merge, retry")
    print("428: a save without If-Match once the checkpoint exists")
    refused(runs_checkpoint_put.sync_detailed(run_id, client=client, body=state), 428)

    state = CheckpointPutRequest(state=JsonObject.from_dict({"node": "produce"}))
    saved = runs_checkpoint_put.sync_detailed(run_id, client=client, body=state, if_match=etag)
    print(f"  saved version {expect(saved, 200, Checkpoint).version} (ETag {saved.headers['ETag']})")


def review_and_publish(client: AuthenticatedClient, base_url: str, run_id: str) -> None:
    print("gate: open prepublish; the run waits for a reviewer")
    opened = GateOpenRequest(gate=GateNameEnum.PREPUBLISH, summary="Final render, ready to post")
    gate = expect(runs_gates_open.sync_detailed(run_id, client=client, body=opened), 201, Gate)
    print(f"  {gate.gate.value} gate {gate.status.value}, {len(gate.artifact_ids)} artifacts under review")

    print("409: publishing before the gate is decided")
    refused(runs_publish.sync_detailed(run_id, client=client, body=PublishRequest()), 409)
    print("403: this key may not decide gates")
    approve = GateApproveInRequest(decision=GateApproveInDecisionEnum.APPROVE, comment="Looks good")
    details = refused(
        runs_gates_decide.sync_detailed(run_id, GateNameEnum.PREPUBLISH, client=client, body=approve), 403
    )
    print(f"  needs {details.required_scope}")

    # The reviewer is someone else (an operator's tool) with a key of its own; here a thread.
    reviewer = threading.Thread(target=review, args=(base_url, run_id))
    reviewer.start()
    decided = wait_for_decision(client, run_id, GateNameEnum.PREPUBLISH)
    reviewer.join()
    print(f"  decided: {decided.status.value} by {decided.decided_by}")

    print("publish")
    request = PublishRequest(caption="Rain on a tin roof", tags=["asmr", "rain"])
    published = expect(runs_publish.sync_detailed(run_id, client=client, body=request), 202, PublishResponse)
    print(f"  publication {published.publication.id}: {published.publication.status.value}")


def review(base_url: str, run_id: str) -> None:
    with api(base_url, os.environ["MYLOWARE_REVIEWER_KEY"]) as reviewer:
        approve = GateApproveInRequest(decision=GateApproveInDecisionEnum.APPROVE, comment="Looks good")
        answer = runs_gates_decide.sync_detailed(
            run_id, GateNameEnum.PREPUBLISH, client=reviewer, body=approve
        )
        expect(answer, 201, GateDecisionOut)


def wait_for_decision(client: AuthenticatedClient, run_id: str, name: GateNameEnum) -> Gate:
    """The latest ``name`` gate of the run once it is no longer open (polled)."""
    deadline = time.monotonic() + DECISION_TIMEOUT_SECONDS
    while True:
        gates = [gate for gate in all_gates(client, run_id) if gate.gate == name]
        if gates and gates[-1].status != GateStatusEnum.OPEN:
            return gates[-1]
        if time.monotonic() > deadline:
            raise SystemExit(f"no decision on the {name.value} gate of {run_id}")
        time.sleep(0.2)


def all_gates(client: AuthenticatedClient, run_id: str) -> list[Gate]:
    gates: list[Gate] = []
    cursor: str | Unset = UNSET
    while True:
        page = expect(runs_gates_list.sync_detailed(run_id, client=client, cursor=cursor), 200, GatePage)
        gates += page.results
        if page.next_cursor is None:
            return gates
        cursor = page.next_cursor


def follow_pages(client: AuthenticatedClient, run_id: str) -> None:
    print("artifacts, one per page, following next_cursor")
    cursor: str | Unset = UNSET
    pages = 0
    while True:
        answer = runs_artifacts_list.sync_detailed(run_id, client=client, limit=1, cursor=cursor)
        page = expect(answer, 200, ArtifactPage)
        pages += 1
        print(f"  page {pages}: {', '.join(artifact.type_ for artifact in page.results)}")
        if page.next_cursor is None:
            print(f"  {pages} pages")
            return
        cursor = page.next_cursor


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
