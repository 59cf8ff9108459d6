"""Concurrency claims with real threads on a transactional database."""

from __future__ import annotations

import pytest

from knowledge.models import EmbeddingStatus, KbDocument, KbEmbedding
from knowledge.services import EmbedOutcome, kb_document_upsert, kb_embed_documents
from tests.race import race

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_embedding_jobs_embed_each_document_once() -> None:
    # Created directly (no jobs enqueued): 120 pending documents for three racing jobs.
    KbDocument.objects.bulk_create(
        [
            KbDocument(path=f"race/{i}.md", content=f"document {i} about hooks", content_hash=str(i))
            for i in range(120)
        ]
    )
    ids = [str(pk) for pk in KbDocument.objects.values_list("pk", flat=True)]

    outcomes: list[EmbedOutcome] = race(3, lambda _: kb_embed_documents(doc_ids=ids))

    assert all(isinstance(outcome, EmbedOutcome) for outcome in outcomes), outcomes
    assert sum(outcome.claimed for outcome in outcomes) == 120
    assert sum(outcome.embedded for outcome in outcomes) == 120
    assert KbEmbedding.objects.count() == 120
    assert set(KbDocument.objects.values_list("embedding_status", flat=True)) == {EmbeddingStatus.READY}


def test_concurrent_upserts_of_one_path_leave_one_consistent_document() -> None:
    contents = ["# A\n\n" + "alpha words here. " * 300, "# B\n\n" + "beta words. " * 50, "# C\n\ngamma"]

    results = race(
        3, lambda index: kb_document_upsert(path="race/doc.md", content=contents[index], actor=f"t{index}")
    )

    assert not [result for result in results if isinstance(result, Exception)], results
    chunks = list(KbDocument.objects.filter(path="race/doc.md").order_by("chunk_index"))
    assert [chunk.chunk_index for chunk in chunks] == list(range(len(chunks)))
    assert {chunk.chunk_count for chunk in chunks} == {len(chunks)}
    assert len({chunk.source_hash for chunk in chunks}) == 1  # all chunks of one writer's version
    text = "\n".join(chunk.content for chunk in chunks)
    assert sum(marker in text for marker in ("# A", "# B", "# C")) == 1
