from __future__ import annotations

import json

import pytest

from artifacts.models import Artifact
from artifacts.services import artifact_create
from knowledge.models import KbDocument
from myloware.lib.errors import Conflict
from runs.services import run_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_id(db: None) -> str:
    return run_create(project="aismr", run_id="run_art").run_id


def _trace(doc_ids, similarities=None, persona="brendan"):
    return {
        "query": "What is AISMR?",
        "docIds": doc_ids,
        "similarities": similarities if similarities is not None else [0.9] * len(doc_ids),
        "persona": persona,
        "project": "aismr",
    }


def _post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_same_run_type_and_checksum_returns_the_existing_artifact(api_client, run_id):
    body = {"type": "clip", "url": "https://cdn/x.mp4", "checksum": "abc", "persona": "riley"}
    first = _post(api_client, f"/api/v1/runs/{run_id}/artifacts", body)
    again = _post(api_client, f"/api/v1/runs/{run_id}/artifacts", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]


def test_unknown_run_is_404(api_client):
    assert _post(api_client, "/api/v1/runs/nope/artifacts", {"type": "idea"}).status_code == 404


@pytest.mark.parametrize(
    ("trace", "rule"),
    [
        ({"query": "q", "docIds": ["a"], "similarities": [0.5], "persona": "p"}, "missing project"),
        (_trace(["a", "b"], [0.5]), "equal length"),
        (_trace(["a"], [1.5]), "outside [-1, 1]"),
        (_trace(["a"], ["high"]), "must be numbers"),
        (None, "retrieval_trace column"),
    ],
)
def test_broken_retrieval_trace_is_422_naming_the_rule(api_client, run_id, trace, rule):
    response = _post(
        api_client, f"/api/v1/runs/{run_id}/artifacts", {"type": "retrieval.trace", "retrieval_trace": trace}
    )
    assert response.status_code == 422
    assert rule in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("trace", "rule"),
    [
        ({"steps": 3}, "missing query"),
        (_trace(["a"], persona=7), "persona and project must be strings or null"),
        (_trace(["a", "b"], [0.5]), "equal length"),
    ],
)
def test_a_retrieval_trace_has_its_shape_on_any_artifact_type(api_client, run_id, trace, rule):
    # The document types retrieval_trace as a RetrievalTrace on every artifact, so the server does.
    response = _post(
        api_client, f"/api/v1/runs/{run_id}/artifacts", {"type": "idea", "retrieval_trace": trace}
    )
    assert response.status_code == 422
    assert rule in response.json()["error"]["message"]
    accepted = _post(
        api_client,
        f"/api/v1/runs/{run_id}/artifacts",
        {"type": "idea", "retrieval_trace": _trace(["a"], persona=None)},
    )
    assert accepted.status_code == 201 and accepted.json()["retrieval_trace"]["persona"] is None


def test_citations_must_cite_documents_of_their_trace(run_id):
    trace, _ = artifact_create(
        run_id=run_id, type="retrieval.trace", persona="brendan", retrieval_trace=_trace(["d1", "d2"])
    )
    items = [{"doc_id": "d1", "path": "docs/a.md", "reason": "defines AISMR"}]
    citations, _ = artifact_create(
        run_id=run_id, type="citations", persona="brendan", metadata={"items": items}
    )
    # trace_id left out: the latest trace of the same run and persona, recorded explicitly.
    assert citations.metadata["trace_id"] == str(trace.id)
    stray = [{"doc_id": "d9", "path": "docs/z.md", "reason": "?"}]
    with pytest.raises(Conflict, match="not among the docIds"):
        artifact_create(
            run_id=run_id,
            type="citations",
            persona="brendan",
            metadata={"items": stray, "trace_id": str(trace.id)},
        )


def test_citations_without_any_trace_are_refused(run_id):
    with pytest.raises(Conflict, match="no retrieval.trace"):
        artifact_create(run_id=run_id, type="citations", persona="iggy", metadata={"items": []})


def test_citations_of_another_runs_trace_are_refused(run_id):
    other = run_create(project="aismr", run_id="run_other")
    trace, _ = artifact_create(
        run_id=other.run_id, type="retrieval.trace", persona="p", retrieval_trace=_trace(["d1"])
    )
    with pytest.raises(Conflict, match="not a retrieval.trace artifact of run"):
        artifact_create(run_id=run_id, type="citations", metadata={"trace_id": str(trace.id), "items": []})


def test_citation_path_must_match_the_knowledge_base(api_client, run_id):
    doc = KbDocument.objects.create(path="projects/aismr/brief.md", content="AISMR is ...")
    artifact_create(
        run_id=run_id, type="retrieval.trace", persona="brendan", retrieval_trace=_trace([str(doc.id)])
    )
    wrong = {"items": [{"doc_id": str(doc.id), "path": "elsewhere.md", "reason": "r"}]}
    response = _post(
        api_client,
        f"/api/v1/runs/{run_id}/artifacts",
        {"type": "citations", "persona": "brendan", "metadata": wrong},
    )
    assert response.status_code == 409
    assert "projects/aismr/brief.md" in response.json()["error"]["message"]
    right = {"items": [{"doc_id": str(doc.id), "path": "projects/aismr/brief.md", "reason": "r"}]}
    ok = _post(
        api_client,
        f"/api/v1/runs/{run_id}/artifacts",
        {"type": "citations", "persona": "brendan", "metadata": right},
    )
    assert ok.status_code == 201


def test_run_artifacts_oldest_first_with_type_filter(api_client, run_id):
    for kind in ("idea", "script", "idea"):
        artifact_create(run_id=run_id, type=kind)
    rows = api_client.get(f"/api/v1/runs/{run_id}/artifacts").json()["results"]
    assert [r["type"] for r in rows] == ["idea", "script", "idea"]
    assert len(api_client.get(f"/api/v1/runs/{run_id}/artifacts?type=idea").json()["results"]) == 2


def test_artifacts_across_runs_newest_first_filtered_and_paginated(api_client, run_id):
    other = run_create(project="aismr", run_id="run_b").run_id
    for i in range(5):
        artifact_create(run_id=run_id if i % 2 else other, type="clip", persona="riley", provider="kieai")
    artifact_create(run_id=run_id, type="idea", persona="iggy")
    seen, url = [], "/api/v1/artifacts?persona=riley&provider=kieai&limit=2"
    while url:
        page = api_client.get(url).json()
        seen += page["results"]
        url = page["next"]
    assert len(seen) == 5 and {a["type"] for a in seen} == {"clip"}
    expected = list(
        Artifact.objects.filter(persona="riley").order_by("-created_at", "-id").values_list("id", flat=True)
    )
    assert [a["id"] for a in seen] == [str(i) for i in expected]
    assert [a["type"] for a in api_client.get("/api/v1/artifacts?type=idea").json()["results"]] == ["idea"]
