"""Fixtures of the knowledge-base tests: the corpus fixture, ingest helpers, synthetic vectors."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection

from knowledge.embedding import get_backend
from knowledge.services import IngestReport, kb_ingest

# The real MyloWare knowledge-base corpus (MIT, tests/fixtures/corpus/LICENSE-MyloWare): never edit
# it in place; tests that change files work on a copy (kb_copy).
CORPUS = Path(__file__).parent.parent / "fixtures" / "corpus"


@pytest.fixture(autouse=True)
def _fresh_backend() -> Iterator[None]:
    # get_backend() is cached per process; tests that override settings need a fresh one.
    get_backend.cache_clear()
    yield
    get_backend.cache_clear()


@pytest.fixture
def corpus_kb() -> Path:
    path = CORPUS / "kb"
    if not path.is_dir():
        pytest.fail(f"the corpus fixture is missing: {path}")
    return path


# The documents the editing tests change or remove, and one persona's folder (a nested scope).
KB_COPY_FILES = (
    "architecture.md",
    "comedic-timing.md",
    "editor-knowledge.md",
    "idea-gen.md",
    "social-media.md",
    "personas/iggy/persona.json",
    "personas/iggy/prompt.md",
)


@pytest.fixture
def kb_copy(tmp_path: Path, corpus_kb: Path) -> Path:
    """A writable copy of part of corpus/kb, for tests that edit or remove files (the tests that
    only read ingest the whole corpus; ingesting and embedding it is most of a test's time)."""
    target = tmp_path / "kb"
    for name in KB_COPY_FILES:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(corpus_kb / name, target / name)
    return target


@pytest.fixture
def ingest(django_capture_on_commit_callbacks) -> Callable[..., IngestReport]:  # type: ignore[no-untyped-def]
    """kb_ingest with its on-commit embedding jobs executed (django-q2 runs them synchronously)."""

    def _ingest(root: Path, **options: object) -> IngestReport:
        with django_capture_on_commit_callbacks(execute=True):
            return kb_ingest(root=root, actor="test", **options)  # type: ignore[arg-type]

    return _ingest


def add_synthetic_vectors(*, count: int, rare_every: int, model: str, seed: float = 0.42) -> None:
    """``count`` documents with random unit-ish vectors, every ``rare_every``-th in project "rare".

    Built in SQL with the HNSW index dropped and rebuilt afterwards (inside the test's
    transaction): inserting row by row into HNSW would take far longer than the test budget.
    Clustered like real embeddings: 20 random centres plus noise.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [seed])
        # The foreign key is deferrable; pending checks would forbid the CREATE INDEX below.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("DROP INDEX kb_embeddings_hnsw_cosine")
        cursor.execute(
            """
            INSERT INTO kb_documents (path, content, chunk_index, project, embedding_status, embedding_model)
            SELECT 'synthetic/' || g, 'synthetic document ' || g, 0,
                   CASE WHEN g %% %(rare)s = 0 THEN 'rare' ELSE 'bulk' END, 'ready', %(model)s
            FROM generate_series(1, %(count)s) AS g
            """,
            {"rare": rare_every, "count": count, "model": model},
        )
        cursor.execute(
            """
            CREATE TEMP TABLE synthetic_centres ON COMMIT DROP AS
            SELECT c, array_agg(random() - 0.5) AS v FROM generate_series(0, 19) c, generate_series(1, 1536) i GROUP BY c
            """
        )
        cursor.execute(
            """
            INSERT INTO kb_embeddings (doc_id, model, embedding)
            SELECT d.id, %(model)s,
                   (SELECT array_agg(x + (random() - 0.5) * 0.6) FROM unnest(sc.v) AS x)::vector
            FROM kb_documents d
            JOIN synthetic_centres sc ON sc.c = (hashtext(d.path) & 2147483647) %% 20
            WHERE d.path LIKE 'synthetic/%%'
            """,
            {"model": model},
        )
        cursor.execute(
            "CREATE INDEX kb_embeddings_hnsw_cosine ON kb_embeddings "
            "USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
        )
        cursor.execute("ANALYZE kb_documents")
        cursor.execute("ANALYZE kb_embeddings")
