"""Embedding backends (offline hashing, OpenAI-compatible against a fake server) and embedding jobs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import httpx
import pytest
import respx
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from knowledge.embedding import (
    MAX_INPUTS_PER_REQUEST,
    MAX_TOKENS_PER_REQUEST,
    EmbeddingError,
    HashingBackend,
    OpenAIBackend,
    batches,
    get_backend,
)
from knowledge.models import EmbeddingStatus, KbDocument, KbEmbedding
from knowledge.services import kb_document_upsert, kb_embed_documents, kb_embed_sweep, kb_reembed

BASE = "http://embeddings.test/v1"


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / (
        math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    )


# --- hashing ---------------------------------------------------------------------------------------


def test_hashing_embeds_related_texts_closer_than_unrelated_ones() -> None:
    backend = HashingBackend()
    query, related, unrelated = backend.embed(
        [
            "best time to post videos on TikTok",
            "Post your TikTok videos in the evening: the best times are 5 PM to 9 PM on weekdays.",
            "The Shotstack render API queues an edit and returns a render id.",
        ]
    )
    assert _cosine(query, related) > 0.3 > 0.05 > _cosine(query, unrelated)


def test_hashing_is_normalised_deterministic_and_not_a_hash_of_the_whole_text() -> None:
    backend = HashingBackend()
    first, again, extended = backend.embed(["Hook the viewer", "Hook the viewer", "Hook the viewer fast"])
    assert len(first) == 1536
    assert math.isclose(math.sqrt(sum(x * x for x in first)), 1.0)
    assert first == again
    # A one-word change moves the vector a little, not to a random place.
    assert _cosine(first, extended) > 0.7


def test_shorter_vectors_are_zero_padded_and_cosine_is_unchanged() -> None:
    small = HashingBackend(dimensions=256)
    texts = ["caption writing tips", "write short captions with a question"]
    raw = [small.embed_one(text) for text in texts]
    padded = small.embed(texts)
    assert all(len(vector) == 1536 and not any(vector[256:]) for vector in padded)
    assert math.isclose(_cosine(*raw), _cosine(*padded))
    assert small.model != HashingBackend().model


# --- OpenAI-compatible backend against a fake server ---------------------------------------------


class FakeEmbeddings:
    """An OpenAI-compatible /embeddings endpoint: records requests, fails on demand."""

    def __init__(self, dimensions: int = 1536, failures: list[int] | None = None):
        self.dimensions = dimensions
        self.failures = list(failures or [])
        self.requests: list[dict] = []
        self.headers: list[httpx.Headers] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        self.headers.append(request.headers)
        if self.failures:
            status = self.failures.pop(0)
            return httpx.Response(
                status, headers={"Retry-After": "0"}, json={"error": {"message": "slow down"}}
            )
        dims = body.get("dimensions", self.dimensions)
        data = [
            {
                "object": "embedding",
                "index": index,
                "embedding": [float(len(text) % 7 + 1)] + [0.0] * (dims - 1),
            }
            for index, text in enumerate(body["input"])
        ]
        data.reverse()  # the API does not promise order; the client sorts by index
        return httpx.Response(200, json={"object": "list", "data": data, "model": body["model"]})


def _backend(fake: FakeEmbeddings, **options: object) -> tuple[OpenAIBackend, list[float]]:
    sleeps: list[float] = []
    backend = OpenAIBackend(
        base_url=BASE, api_key="sk-test-123", backoff_seconds=0.5, sleep=sleeps.append, **options
    )  # type: ignore[arg-type]
    return backend, sleeps


@respx.mock
def test_openai_batches_respect_the_input_count_limit() -> None:
    fake = FakeEmbeddings()
    respx.post(f"{BASE}/embeddings").mock(side_effect=fake)
    backend, _ = _backend(fake)

    vectors = backend.embed([f"text {i}" for i in range(MAX_INPUTS_PER_REQUEST + 52)])

    assert [len(request["input"]) for request in fake.requests] == [MAX_INPUTS_PER_REQUEST, 52]
    assert len(vectors) == MAX_INPUTS_PER_REQUEST + 52 and all(len(v) == 1536 for v in vectors)
    # Results are put back in input order even though the server answered in reverse.
    assert vectors[3][0] == float(len("text 3") % 7 + 1)
    assert fake.requests[0]["model"] == "text-embedding-3-small"
    assert fake.headers[0]["authorization"] == "Bearer sk-test-123"


def test_openai_batches_respect_the_token_limit() -> None:
    texts = ["x" * 120_000, "y" * 120_000, "z" * 120_000, "short"]
    groups = batches(texts)
    assert groups == [[0, 1], [2, 3]]
    assert all(sum(len(texts[i]) for i in group) <= MAX_TOKENS_PER_REQUEST for group in groups)


@respx.mock
def test_openai_retries_429_and_5xx_with_growing_backoff() -> None:
    fake = FakeEmbeddings(failures=[429, 503, 500])
    respx.post(f"{BASE}/embeddings").mock(side_effect=fake)
    backend, sleeps = _backend(fake, max_retries=5)

    vectors = backend.embed(["hello"])

    assert len(fake.requests) == 4 and len(vectors) == 1
    assert len(sleeps) == 3
    # Full jitter within [delay/2, delay] of an exponential delay: 0.5, 1, 2.
    for attempt, slept in enumerate(sleeps):
        assert 0.25 * 2**attempt <= slept <= 0.5 * 2**attempt


@respx.mock
def test_openai_gives_up_after_its_retries() -> None:
    fake = FakeEmbeddings(failures=[503] * 10)
    respx.post(f"{BASE}/embeddings").mock(side_effect=fake)
    backend, _ = _backend(fake, max_retries=2)
    with pytest.raises(EmbeddingError, match="503"):
        backend.embed(["hello"])
    assert len(fake.requests) == 3


@respx.mock
def test_openai_client_errors_are_not_retried() -> None:
    fake = FakeEmbeddings(failures=[400])
    respx.post(f"{BASE}/embeddings").mock(side_effect=fake)
    backend, sleeps = _backend(fake)
    with pytest.raises(EmbeddingError, match="400"):
        backend.embed(["hello"])
    assert len(fake.requests) == 1 and not sleeps


@respx.mock
def test_openai_transport_errors_are_retried() -> None:
    fake = FakeEmbeddings()
    route = respx.post(f"{BASE}/embeddings")
    route.side_effect = [httpx.ConnectError("refused"), fake]
    backend, sleeps = _backend(fake)
    assert len(backend.embed(["hello"])) == 1
    assert len(sleeps) == 1


@respx.mock
def test_openai_vectors_of_the_wrong_dimension_are_refused() -> None:
    fake = FakeEmbeddings(dimensions=3072)
    respx.post(f"{BASE}/embeddings").mock(side_effect=fake)
    backend, _ = _backend(fake)
    with pytest.raises(EmbeddingError, match="1536"):
        backend.embed(["hello"])


@respx.mock
def test_openai_shortened_vectors_are_requested_and_zero_padded() -> None:
    fake = FakeEmbeddings()
    respx.post(f"{BASE}/embeddings").mock(side_effect=fake)
    backend, _ = _backend(fake, dimensions=512)

    (vector,) = backend.embed(["hello"])

    assert fake.requests[0]["dimensions"] == 512
    assert len(vector) == 1536 and not any(vector[512:])
    assert backend.model == "text-embedding-3-small@512"


def test_openai_without_a_key_fails_loudly() -> None:
    with pytest.raises(ImproperlyConfigured, match="KB_OPENAI_API_KEY"):
        OpenAIBackend(base_url=BASE, api_key="")


@pytest.mark.django_db
@respx.mock
def test_the_configured_openai_backend_embeds_documents_through_the_job(
    settings, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    settings.KB_EMBEDDING_BACKEND = "openai"
    settings.KB_OPENAI_BASE_URL = BASE
    settings.KB_OPENAI_API_KEY = "sk-test-123"
    fake = FakeEmbeddings()
    respx.post(f"{BASE}/embeddings").mock(side_effect=fake)

    with django_capture_on_commit_callbacks(execute=True):
        kb_document_upsert(path="notes/a.md", content="# A\n\nalpha", actor="test")

    doc = KbDocument.objects.get(path="notes/a.md")
    assert doc.embedding_status == EmbeddingStatus.READY
    assert doc.embedding_model == "text-embedding-3-small"
    assert KbEmbedding.objects.get(doc=doc).model == "text-embedding-3-small"
    assert len(fake.requests) == 1


# --- embedding jobs ---------------------------------------------------------------------------


@pytest.fixture
def pending_doc(db: None) -> KbDocument:
    # Without on-commit execution the job is never run: the document stays pending.
    kb_document_upsert(path="notes/pending.md", content="# Pending\n\nwaiting for a vector", actor="test")
    return KbDocument.objects.get(path="notes/pending.md")


@pytest.mark.django_db
def test_a_failed_batch_goes_back_to_pending_then_fails_after_max_attempts(
    pending_doc: KbDocument, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.KB_EMBEDDING_BACKEND = "openai"
    settings.KB_OPENAI_BASE_URL = BASE
    settings.KB_OPENAI_API_KEY = "sk-test-123"
    settings.KB_OPENAI_MAX_RETRIES = 0
    settings.KB_EMBED_MAX_ATTEMPTS = 2
    with respx.mock:
        respx.post(f"{BASE}/embeddings").mock(return_value=httpx.Response(500, text="boom"))
        first = kb_embed_documents(doc_ids=[str(pending_doc.pk)])
        pending_doc.refresh_from_db()
        assert (first.failed, pending_doc.embedding_status) == (1, EmbeddingStatus.PENDING)
        assert "500" in pending_doc.embedding_error and pending_doc.embedding_attempts == 1

        kb_embed_documents(doc_ids=[str(pending_doc.pk)])
    pending_doc.refresh_from_db()
    assert pending_doc.embedding_status == EmbeddingStatus.FAILED
    assert not KbEmbedding.objects.filter(doc=pending_doc).exists()


@pytest.mark.django_db
def test_a_duplicate_job_is_a_no_op(pending_doc: KbDocument) -> None:
    first = kb_embed_documents(doc_ids=[str(pending_doc.pk)])
    second = kb_embed_documents(doc_ids=[str(pending_doc.pk)])
    assert (first.embedded, second.claimed) == (1, 0)
    assert KbEmbedding.objects.filter(doc=pending_doc).count() == 1


@pytest.mark.django_db
def test_a_vector_of_content_that_changed_meanwhile_is_not_stored(pending_doc: KbDocument, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KB_EMBEDDING_BACKEND = "openai"
    settings.KB_OPENAI_BASE_URL = BASE
    settings.KB_OPENAI_API_KEY = "sk-test-123"
    fake = FakeEmbeddings()

    def rewrite_while_embedding(request: httpx.Request) -> httpx.Response:
        # An ingest lands while the embedding request is in flight.
        kb_document_upsert(path=pending_doc.path, content="# Pending\n\nrewritten meanwhile", actor="test")
        return fake(request)

    with respx.mock:
        respx.post(f"{BASE}/embeddings").mock(side_effect=rewrite_while_embedding)
        outcome = kb_embed_documents(doc_ids=[str(pending_doc.pk)])

    assert (outcome.claimed, outcome.embedded) == (1, 0)
    pending_doc.refresh_from_db()
    assert "rewritten meanwhile" in pending_doc.content
    assert pending_doc.embedding_status == EmbeddingStatus.PENDING
    assert not KbEmbedding.objects.filter(doc=pending_doc).exists()


@pytest.mark.django_db
def test_the_sweep_requeues_documents_whose_job_was_lost(
    pending_doc: KbDocument, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.utils import timezone

    assert kb_embed_sweep() == 0  # just written: its own job is presumably queued
    KbDocument.objects.filter(pk=pending_doc.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert kb_embed_sweep() == 1
    pending_doc.refresh_from_db()
    assert pending_doc.embedding_status == EmbeddingStatus.READY


@pytest.mark.django_db
def test_reembed_gives_every_document_a_vector_of_the_new_model(
    settings, django_capture_on_commit_callbacks, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        for name in ("a", "b", "c"):
            kb_document_upsert(path=f"notes/{name}.md", content=f"# {name}\n\ntext {name}", actor="test")
    old_model = get_backend().model
    settings.KB_EMBEDDING_DIMENSIONS = 768  # a different hashing model
    get_backend.cache_clear()
    new_model = get_backend().model
    assert KbDocument.objects.waiting_for_vector(new_model).count() == 3

    with django_capture_on_commit_callbacks(execute=True):
        assert len(kb_reembed(actor="test")) == 3

    assert KbDocument.objects.waiting_for_vector(new_model).count() == 0
    assert KbEmbedding.objects.filter(model=new_model).count() == 3
    assert KbEmbedding.objects.filter(model=old_model).count() == 3  # kept for a switch back
    assert kb_reembed(actor="test") == []  # nothing left to do


@pytest.mark.django_db
def test_kb_reembed_command_embeds_now_with_a_progress_bar(pending_doc: KbDocument) -> None:
    import io

    out, err = io.StringIO(), io.StringIO()
    call_command("kb_reembed", "--now", stdout=out, stderr=err)
    assert "1 embedded, 0 failed, 0 still waiting" in out.getvalue()
    assert "embed" in err.getvalue()
    pending_doc.refresh_from_db()
    assert pending_doc.embedding_status == EmbeddingStatus.READY
