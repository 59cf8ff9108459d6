"""REST API wiring: document upsert/list/delete, search, audit trail, errors, schema."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from artifacts.models import Artifact
from knowledge.models import KbDocument, KbEmbedding
from runs.services import run_create

pytestmark = pytest.mark.django_db

LONG = "# Guide\n\n" + "\n\n".join(f"Paragraph {i}: " + "hooks and captions " * 20 for i in range(20))


class JobsRunningClient:
    """The API client, with each request's on-commit embedding jobs executed (a qcluster's job)."""

    def __init__(self, client: APIClient, capture):  # type: ignore[no-untyped-def]
        self._client, self._capture = client, capture

    def __getattr__(self, method: str):  # type: ignore[no-untyped-def]
        def call(*args, **kwargs):  # type: ignore[no-untyped-def]
            with self._capture(execute=True):
                return getattr(self._client, method)(*args, **kwargs)

        return call


@pytest.fixture
def client(api_client: APIClient, django_capture_on_commit_callbacks) -> JobsRunningClient:  # type: ignore[no-untyped-def]
    return JobsRunningClient(api_client, django_capture_on_commit_callbacks)


def test_upsert_by_path_creates_then_replaces_then_is_a_no_op(client: JobsRunningClient) -> None:
    body = {"path": "projects/aismr/notes/guide.md", "content": LONG}
    created = client.post("/api/v1/kb/documents", body, format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["status"] == "added" and data["embeddings_queued"] == len(data["documents"]) > 1
    assert {doc["project"] for doc in data["documents"]} == {"aismr"}
    # The jobs run after the commit: the answer shows the documents waiting, a read shows them done.
    assert all(doc["waiting_for_vector"] for doc in data["documents"])
    listed = client.get("/api/v1/kb/documents", {"path": "projects/aismr/notes/guide.md"}).json()["results"]
    assert len(listed) == len(data["documents"])
    assert all(doc["embedding_status"] == "ready" and not doc["waiting_for_vector"] for doc in listed)

    same = client.post("/api/v1/kb/documents", body, format="json")
    assert same.status_code == 200 and same.json()["status"] == "unchanged"
    assert same.json()["embeddings_queued"] == 0

    edited = client.post(
        "/api/v1/kb/documents", {**body, "content": LONG + "\n\nA new closing line."}, format="json"
    )
    assert edited.json()["status"] == "updated"
    assert 0 < edited.json()["embeddings_queued"] < len(data["documents"])
    assert KbDocument.objects.filter(path="projects/aismr/notes/guide.md").count() == len(data["documents"])


def test_explicit_scope_overrides_the_path(client: JobsRunningClient) -> None:
    response = client.post(
        "/api/v1/kb/documents",
        {"path": "notes/x.md", "content": "text", "project": "test_video_gen", "persona": "riley"},
        format="json",
    )
    assert (response.json()["documents"][0]["project"], response.json()["documents"][0]["persona"]) == (
        "test_video_gen",
        "riley",
    )


def test_json_content_is_rendered_like_an_ingested_file(client: JobsRunningClient) -> None:
    response = client.post(
        "/api/v1/kb/documents", {"path": "p.json", "content": '{"title": "Specs", "fps": 30}'}, format="json"
    )
    doc = KbDocument.objects.get(pk=response.json()["documents"][0]["id"])
    assert doc.content.startswith("title: Specs")


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"path": "", "content": "x"}, 422),
        ({"path": "a.md"}, 422),
        ({"path": "a.json", "content": "{broken"}, 422),
        ({"path": "a.md", "content": "   "}, 422),
    ],
)
def test_bad_documents_get_a_clear_4xx(client: JobsRunningClient, body: dict, status: int) -> None:
    response = client.post("/api/v1/kb/documents", body, format="json")
    assert response.status_code in {400, status}
    assert "error" in response.json()


def test_oversized_content_is_413(client: JobsRunningClient, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KB_INGEST_MAX_FILE_BYTES = 100
    response = client.post("/api/v1/kb/documents", {"path": "a.md", "content": "x" * 101}, format="json")
    assert response.status_code == 413


def test_pending_documents_are_listed_until_embedded(api_client: APIClient) -> None:
    # No on-commit execution here: the job never runs, the documents stay pending.
    api_client.post("/api/v1/kb/documents", {"path": "wait/a.md", "content": "alpha"}, format="json")
    pending = api_client.get("/api/v1/kb/documents", {"pending": "true"}).json()
    assert [doc["path"] for doc in pending["results"]] == ["wait/a.md"]
    assert pending["results"][0]["waiting_for_vector"] is True
    assert pending["results"][0]["embedding_status"] == "pending"


def test_delete_removes_every_chunk_of_the_document(client: JobsRunningClient) -> None:
    created = client.post(
        "/api/v1/kb/documents", {"path": "notes/long.md", "content": LONG}, format="json"
    ).json()
    some_chunk = created["documents"][1]["id"]

    response = client.delete(f"/api/v1/kb/documents/{some_chunk}")

    assert response.status_code == 200
    assert response.json() == {"path": "notes/long.md", "deleted": len(created["documents"])}
    assert not KbDocument.objects.filter(path="notes/long.md").exists()
    assert not KbEmbedding.objects.exists()
    assert client.delete(f"/api/v1/kb/documents/{some_chunk}").status_code == 404


def test_a_document_can_be_read_with_its_content(client: JobsRunningClient) -> None:
    created = client.post(
        "/api/v1/kb/documents", {"path": "notes/a.md", "content": "alpha"}, format="json"
    ).json()
    response = client.get(f"/api/v1/kb/documents/{created['documents'][0]['id']}")
    assert response.status_code == 200 and response.json()["content"] == "alpha"


def test_search_returns_ranked_results_and_records_the_audit_trail(client: JobsRunningClient) -> None:
    client.post(
        "/api/v1/kb/documents", {"path": "kb/hooks.md", "content": "hook viewers fast"}, format="json"
    )
    client.post(
        "/api/v1/kb/documents", {"path": "kb/render.md", "content": "render queue api"}, format="json"
    )
    run = run_create(project="aismr")

    response = client.post(
        "/api/v1/kb/search",
        {"query": "hook the viewers", "k": 2, "mode": "hybrid", "project": "aismr", "run_id": run.run_id},
        format="json",
    )

    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["results"][0]["path"] == "kb/hooks.md"
    assert set(data["results"][0]) >= {"doc_id", "path", "project", "persona", "score", "snippet"}
    assert data["latency_ms"] > 0
    trace = Artifact.objects.get(pk=data["trace_id"])
    assert trace.retrieval_trace["docIds"] == [result["doc_id"] for result in data["results"]]
    assert Artifact.objects.get(pk=data["citations_id"]).metadata["trace_id"] == data["trace_id"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"query": "x", "k": 51}, 400),
        ({"query": "x", "mode": "bm25"}, 400),
        ({"k": 3}, 400),
        ({"query": "x", "run_id": "missing-run"}, 404),
    ],
)
def test_bad_searches_get_a_clear_4xx(client: JobsRunningClient, body: dict, status: int) -> None:
    response = client.post("/api/v1/kb/search", body, format="json")
    assert response.status_code == status
    assert response.json()["error"]["status"] == status


def test_a_search_in_an_unknown_project_is_a_404_naming_it(client: JobsRunningClient) -> None:
    client.post("/api/v1/kb/documents", {"path": "kb/projects/aismr/a.md", "content": "hooks"}, format="json")
    response = client.post("/api/v1/kb/search", {"query": "hooks", "project": "nosuch"}, format="json")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["message"].startswith("Unknown project 'nosuch'") and error["details"] == {
        "project": "nosuch"
    }


def test_the_api_needs_a_key(anonymous_client: APIClient) -> None:
    assert anonymous_client.post("/api/v1/kb/search", {"query": "x"}, format="json").status_code == 401
    assert anonymous_client.get("/api/v1/kb/documents").status_code == 401


def test_every_endpoint_is_in_the_openapi_schema(api_client: APIClient) -> None:
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert {"post", "get"} <= set(paths["/api/v1/kb/documents"])
    assert {"get", "delete"} <= set(paths["/api/v1/kb/documents/{doc_id}"])
    assert "requestBody" in paths["/api/v1/kb/search"]["post"]
    assert "KbSearchResponse" in schema["components"]["schemas"]


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/kb/documents", {"path": "a.md", "content": "nul \u0000 byte"}),
        ("/api/v1/kb/documents", {"path": "a.md", "content": "x", "project": "p\u0000"}),
        ("/api/v1/kb/search", {"query": "nul \u0000 byte"}),
        ("/api/v1/kb/search", {"query": "x", "persona": "\u0000"}),
    ],
)
def test_nul_characters_are_a_422_not_a_500(api_client: APIClient, url: str, body: dict) -> None:
    response = api_client.post(url, body, format="json")
    assert response.status_code in {400, 422}
    assert "error" in response.json()


def test_an_embedding_outage_is_a_503_in_vector_mode_and_full_text_in_hybrid(
    client: JobsRunningClient, settings
) -> None:  # type: ignore[no-untyped-def]
    import httpx
    import respx

    from knowledge.embedding import get_backend

    client.post("/api/v1/kb/documents", {"path": "kb/hooks.md", "content": "hook the viewers"}, format="json")
    settings.KB_EMBEDDING_BACKEND = "openai"
    settings.KB_OPENAI_BASE_URL = "http://embeddings.test/v1"
    settings.KB_OPENAI_API_KEY = "sk-test-123"
    settings.KB_OPENAI_MAX_RETRIES = 1
    settings.KB_OPENAI_BACKOFF_SECONDS = 0.001
    get_backend.cache_clear()
    with respx.mock:
        respx.post("http://embeddings.test/v1/embeddings").mock(return_value=httpx.Response(503))
        vector = client.post("/api/v1/kb/search", {"query": "hook viewers"}, format="json")
        hybrid = client.post("/api/v1/kb/search", {"query": "hook viewers", "mode": "hybrid"}, format="json")

    assert vector.status_code == 503 and vector.json()["error"]["code"] == "embedding_unavailable"
    assert hybrid.status_code == 200
    assert [result["path"] for result in hybrid.json()["results"]] == ["kb/hooks.md"]
    assert "vector rank -, full-text rank 1" in hybrid.json()["results"][0]["reason"]
