"""Admin console wiring: document list and filters, search page, re-embed action, hidden vectors."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse

from knowledge.models import EmbeddingStatus, KbDocument, KbEmbedding
from knowledge.services import kb_document_upsert

pytestmark = pytest.mark.django_db


@pytest.fixture
def documents(django_capture_on_commit_callbacks) -> Callable[[], None]:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        kb_document_upsert(path="kb/hooks.md", content="# Hooks\n\nhook the viewer in one second", actor="t")
        kb_document_upsert(path="kb/projects/aismr/foley.md", content="foley sounds for aismr", actor="t")
    kb_document_upsert(path="kb/pending.md", content="not embedded yet", actor="t")  # its job never runs


def test_the_document_list_shows_scope_and_embedding_status(operator_client, documents) -> None:  # type: ignore[no-untyped-def]
    url = reverse("admin:knowledge_kbdocument_changelist")
    page = operator_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "kb/hooks.md" in html and "ready" in html and "pending" in html
    assert "Search the knowledge base" in html

    waiting = operator_client.get(url, {"vector": "waiting"}).content.decode()
    assert "kb/pending.md" in waiting and "kb/hooks.md" not in waiting
    projects = operator_client.get(url, {"scope": "project"}).content.decode()
    assert "kb/projects/aismr/foley.md" in projects and "kb/hooks.md" not in projects


def test_the_document_page_previews_the_content(operator_client, documents) -> None:  # type: ignore[no-untyped-def]
    doc = KbDocument.objects.get(path="kb/hooks.md")
    html = operator_client.get(reverse("admin:knowledge_kbdocument_change", args=[doc.pk])).content.decode()
    assert "hook the viewer in one second" in html
    assert doc.content_hash in html


def test_vectors_are_never_rendered(operator_client, documents) -> None:  # type: ignore[no-untyped-def]
    embedding = KbEmbedding.objects.first()
    KbEmbedding.objects.filter(pk=embedding.pk).update(embedding=[0.7777777] + [0.0] * 1535)
    pages = [
        operator_client.get(reverse("admin:knowledge_kbembedding_changelist")),
        operator_client.get(reverse("admin:knowledge_kbembedding_change", args=[embedding.pk])),
        operator_client.get(reverse("admin:knowledge_kbdocument_change", args=[embedding.doc_id])),
    ]
    assert all(page.status_code == 200 for page in pages)
    assert all("0.777" not in page.content.decode() for page in pages)


def test_the_search_page_shows_ranked_results_with_scores_and_snippets(operator_client, documents) -> None:  # type: ignore[no-untyped-def]
    url = reverse("admin:knowledge_kbdocument_search")
    assert operator_client.get(url).status_code == 200  # the empty form

    page = operator_client.get(
        url, {"query": "hook the viewer", "k": 2, "mode": "hybrid", "project": "aismr"}
    )

    html = page.content.decode()
    assert page.status_code == 200
    assert "kb/hooks.md" in html and "RRF" in html
    # The matched words are marked in the snippet.
    assert "<mark>hook</mark> <mark>the</mark>" not in html  # stopwords are not marked
    assert "<mark>hook</mark> the <mark>viewer</mark> in one second" in html
    # foley.md shares no word and no direction with the query: under the floor, not listed.
    assert "kb/projects/aismr/foley.md" not in html and "1 result in" in html


def test_a_query_nothing_matches_says_no_match(operator_client, documents) -> None:  # type: ignore[no-untyped-def]
    url = reverse("admin:knowledge_kbdocument_search")
    html = operator_client.get(url, {"query": "quantum zebra", "k": 5, "mode": "hybrid"}).content.decode()
    assert "0 results in" in html and 'id="kb-no-match"' in html
    assert "kb/hooks.md" not in html
    # The floor is the operator's to lower: at -1 every document comes back, as before.
    everything = operator_client.get(
        url, {"query": "quantum zebra", "k": 5, "mode": "vector", "min_similarity": -1}
    ).content.decode()
    assert "kb/hooks.md" in everything


def test_project_and_persona_are_chosen_from_the_data(operator_client, documents) -> None:  # type: ignore[no-untyped-def]
    html = operator_client.get(reverse("admin:knowledge_kbdocument_search")).content.decode()
    assert '<select name="project"' in html and '<option value="aismr">aismr</option>' in html
    bad = operator_client.get(
        reverse("admin:knowledge_kbdocument_search"),
        {"query": "hook", "k": 5, "mode": "hybrid", "project": "nope"},
    ).content.decode()
    assert "Select a valid choice" in bad


def test_the_reembed_action_queues_the_selected_documents(
    operator_client, documents, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    doc = KbDocument.objects.get(path="kb/hooks.md")
    before = KbDocument.objects.get(pk=doc.pk).embedded_at

    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(
            reverse("admin:knowledge_kbdocument_changelist"),
            {"action": "reembed_selected", "_selected_action": [str(doc.pk)]},
            follow=True,
        )

    assert "1 document queued for embedding" in response.content.decode()
    doc.refresh_from_db()
    assert doc.embedding_status == EmbeddingStatus.READY and doc.embedded_at > before


def test_anonymous_users_cannot_search(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(reverse("admin:knowledge_kbdocument_search"), {"query": "x"})
    assert response.status_code == 302 and "/login/" in response["Location"]
