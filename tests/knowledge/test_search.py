"""Search: scope filters, HNSW plans, iterative scans under filters, hybrid fusion, audit trail."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from artifacts.models import Artifact
from artifacts.services import validate_citations, validate_retrieval_trace
from knowledge.embedding import get_backend
from knowledge.models import KbDocument, KbEmbedding
from knowledge.selectors import (
    reciprocal_rank_fusion,
    search_documents,
    set_search_parameters,
    snippet,
    vector_literal,
    vector_ranking,
    vector_sql,
)
from knowledge.services import IngestReport, kb_document_upsert, kb_search
from myloware.lib.errors import InvalidInput, NotFound
from runs.services import run_create
from tests.knowledge.conftest import add_synthetic_vectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def upsert(django_capture_on_commit_callbacks) -> Callable[..., None]:  # type: ignore[no-untyped-def]
    def _upsert(path: str, content: str, **scope: str) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            kb_document_upsert(path=path, content=content, actor="test", **scope)

    return _upsert


@pytest.fixture
def scoped_documents(upsert: Callable[..., None]) -> None:
    text = "# Hooks\n\nOpen with a hook in the first second so viewers keep watching the video."
    upsert("kb/global.md", text)
    upsert("kb/projects/aismr/hooks.md", text + " aismr")
    upsert("kb/projects/other/hooks.md", text + " other")
    upsert("kb/personas/iggy/hooks.md", text + " iggy")
    upsert("kb/personas/riley/hooks.md", text + " riley")
    upsert("kb/projects/aismr/personas/iggy/hooks.md", text + " both")


def _paths(**options: object) -> set[str]:
    response = kb_search(query="hook viewers video", actor="test", k=50, **options)  # type: ignore[arg-type]
    return {hit.path for hit in response.hits}


@pytest.mark.parametrize("mode", ["vector", "hybrid"])
def test_a_project_sees_its_documents_and_global_ones(scoped_documents: None, mode: str) -> None:
    assert _paths(project="aismr", mode=mode) == {
        "kb/global.md",
        "kb/projects/aismr/hooks.md",
        "kb/personas/iggy/hooks.md",  # persona-only documents have no project: global for projects
        "kb/personas/riley/hooks.md",
        "kb/projects/aismr/personas/iggy/hooks.md",
    }


def test_a_persona_sees_its_documents_and_global_ones(scoped_documents: None) -> None:
    assert _paths(persona="iggy") == {
        "kb/global.md",
        "kb/projects/aismr/hooks.md",
        "kb/projects/other/hooks.md",
        "kb/personas/iggy/hooks.md",
        "kb/projects/aismr/personas/iggy/hooks.md",
    }


def test_project_and_persona_together_narrow_both(scoped_documents: None) -> None:
    assert _paths(project="aismr", persona="iggy") == {
        "kb/global.md",
        "kb/projects/aismr/hooks.md",
        "kb/personas/iggy/hooks.md",
        "kb/projects/aismr/personas/iggy/hooks.md",
    }


def test_without_scope_every_document_is_searched(scoped_documents: None) -> None:
    assert len(_paths()) == 6


def test_only_vectors_of_the_active_model_are_compared(scoped_documents: None) -> None:
    doc = KbDocument.objects.get(path="kb/projects/other/hooks.md")
    KbEmbedding.objects.filter(doc=doc).update(model="some-other-model")
    assert "kb/projects/other/hooks.md" not in _paths(mode="vector")


def test_vector_search_ranks_the_relevant_corpus_document_first(
    ingest: Callable[..., IngestReport], corpus_kb: Path
) -> None:
    ingest(corpus_kb)
    response = kb_search(query="Shotstack render API authentication x-api-key header", actor="test", k=5)
    assert response.hits[0].path == "kb/shotstack-api-docs.md"
    assert all(-1 <= hit.similarity <= 1 for hit in response.hits)
    assert [hit.score for hit in response.hits] == sorted((hit.score for hit in response.hits), reverse=True)


def _plan(sql: str, params: dict, *, k: int, extra: str = "") -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        set_search_parameters(cursor, k=k)
        if extra:
            cursor.execute(extra)
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_plan_of_an_unfiltered_search_uses_the_hnsw_index() -> None:
    # Above a few thousand vectors the planner prefers the index on its own (below, an exact
    # scan is cheaper and exact); 4,000 synthetic vectors make the choice the planner's.
    model = get_backend().model
    add_synthetic_vectors(count=4000, rare_every=100, model=model)
    query = get_backend().embed(["anything"])[0]
    params = {"q": vector_literal(query), "model": model, "k": 5, "project": None, "persona": None}

    plan = _plan(vector_sql(), params, k=5)

    assert "Index Scan using kb_embeddings_hnsw_cosine" in plan
    # The control: ordering by L2 distance cannot use the cosine index.
    l2 = vector_sql().replace("ORDER BY e.embedding <=>", "ORDER BY e.embedding <->")
    assert "kb_embeddings_hnsw_cosine" not in _plan(l2, params, k=5)


def test_a_filtered_search_of_a_rare_project_still_returns_k_results() -> None:
    model = get_backend().model
    add_synthetic_vectors(count=4000, rare_every=100, model=model)  # 40 documents in "rare"
    query = [float(x) for x in get_backend().embed(["a query far from the rare project"])[0]]
    params = {"q": vector_literal(query), "model": model, "k": 10, "project": "rare", "persona": None}
    sql = vector_sql(project="rare")

    # For a 1% filter on 4,000 rows the planner rightly prefers an exact scan of the 40
    # documents; with sorting disabled it must walk the HNSW index, which is the plan of a big
    # table. Without iterative scans the index hands over ef_search candidates, then the filter
    # throws nearly all of them away: the hazard is real.
    with transaction.atomic(), connection.cursor() as cursor:
        set_search_parameters(cursor, k=10, ef_search=10)
        cursor.execute("SELECT set_config('hnsw.iterative_scan', 'off', true)")
        cursor.execute("SET LOCAL enable_sort = off")  # force the index walk (see below)
        cursor.execute(sql, params)
        starved = cursor.fetchall()
    assert len(starved) < 10

    # With them (the search's own settings), the index walk goes on until k rows pass.
    with transaction.atomic(), connection.cursor() as cursor:
        set_search_parameters(cursor, k=10, ef_search=10)
        cursor.execute("SET LOCAL enable_sort = off")  # force the index walk (see below)
        cursor.execute(sql, params)
        assert len(cursor.fetchall()) == 10

    ranked = vector_ranking(query_vector=query, model=model, k=10, project="rare", ef_search=10)
    assert len(ranked) == 10
    rare = set(KbDocument.objects.filter(project="rare").values_list("id", flat=True))
    assert {doc_id for doc_id, _ in ranked} <= {str(pk) for pk in rare}
    assert [sim for _, sim in ranked] == sorted((sim for _, sim in ranked), reverse=True)


def test_reciprocal_rank_fusion_on_a_constructed_example() -> None:
    # Vector: A, B, C.  Full-text: C, B.  RRF (k=60): A = 1/61 = 0.016393,
    # B = 1/62 + 1/62 = 0.032258, C = 1/63 + 1/61 = 0.032266 -> C edges out B; A last.
    fused = reciprocal_rank_fusion([["A", "B", "C"], ["C", "B"]], k=60)
    assert [doc for doc, _ in fused] == ["C", "B", "A"]
    assert math.isclose(fused[0][1], 1 / 63 + 1 / 61)
    assert math.isclose(fused[2][1], 1 / 61)


def test_hybrid_search_fuses_full_text_and_vector_rankings(upsert: Callable[..., None]) -> None:
    upsert("fusion/a.md", "# Alpha\n\nzylophone resonance study")
    upsert("fusion/b.md", "# Beta\n\nzylophone quartz reverb and quartz")
    upsert("fusion/c.md", "# Gamma\n\nquartz reverb quartz reverb quartz reverb")
    ids = {path: str(pk) for pk, path in KbDocument.objects.values_list("id", "path")}
    # Fix the vector ranking to A, B, C with hand-made vectors (cosine 0.9, 0.5, 0.1 to the query).
    query = [1.0, 0.0] + [0.0] * 1534
    for path, cosine in (("fusion/a.md", 0.9), ("fusion/b.md", 0.5), ("fusion/c.md", 0.1)):
        vector = [cosine, math.sqrt(1 - cosine**2)] + [0.0] * 1534
        KbEmbedding.objects.filter(doc_id=ids[path]).update(embedding=vector)

    vector_only = search_documents(
        query="quartz reverb", query_vector=query, model=get_backend().model, k=3, mode="vector"
    )
    text_only = search_documents(
        query="quartz reverb", query_vector=query, model=get_backend().model, k=3, mode="fulltext"
    )
    hybrid = search_documents(
        query="quartz reverb", query_vector=query, model=get_backend().model, k=3, mode="hybrid"
    )

    assert [hit.path for hit in vector_only] == ["fusion/a.md", "fusion/b.md", "fusion/c.md"]
    assert [hit.path for hit in text_only] == ["fusion/c.md", "fusion/b.md"]
    assert [hit.path for hit in hybrid] == ["fusion/c.md", "fusion/b.md", "fusion/a.md"]
    assert math.isclose(hybrid[0].score, 1 / 63 + 1 / 61, abs_tol=1e-6)
    assert "vector rank 3, full-text rank 1" in hybrid[0].reason
    assert math.isclose(hybrid[0].similarity, 0.1, abs_tol=1e-6)


def test_a_search_with_a_run_records_a_valid_trace_and_citations(scoped_documents: None) -> None:
    run = run_create(project="aismr")

    response = kb_search(
        query="hook viewers",
        actor="api:orchestrator",
        k=3,
        project="aismr",
        persona="iggy",
        run_id=run.run_id,
    )

    trace = Artifact.objects.get(pk=response.trace_id)
    citations = Artifact.objects.get(pk=response.citations_id)
    assert (trace.type, citations.type) == ("retrieval.trace", "citations")
    assert trace.run_id == citations.run_id == run.run_id
    assert trace.persona == citations.persona == "iggy"
    assert set(trace.retrieval_trace) == {"query", "docIds", "similarities", "persona", "project"}
    assert trace.retrieval_trace["docIds"] == [hit.doc_id for hit in response.hits]
    assert len(trace.retrieval_trace["similarities"]) == 3
    assert all(-1 <= value <= 1 for value in trace.retrieval_trace["similarities"])
    assert (trace.retrieval_trace["project"], trace.retrieval_trace["persona"]) == ("aismr", "iggy")
    assert citations.metadata["trace_id"] == str(trace.pk)
    for item in citations.metadata["items"]:
        assert item["path"] == KbDocument.objects.get(pk=item["doc_id"]).path
        assert item["reason"].startswith("vector rank")
    # The artifacts service's own validators (docs/runs.md, retrieval audit) accept both as stored.
    validate_retrieval_trace(trace.retrieval_trace)
    validate_citations(run_id=run.run_id, persona="iggy", metadata=citations.metadata)


def test_a_search_without_results_still_records_a_consistent_trace() -> None:
    run = run_create(project="aismr")
    response = kb_search(query="nothing here", actor="test", run_id=run.run_id, mode="hybrid")
    assert response.hits == []
    trace = Artifact.objects.get(pk=response.trace_id)
    assert trace.retrieval_trace["docIds"] == [] == trace.retrieval_trace["similarities"]


def test_a_search_in_a_project_nothing_names_is_refused_naming_it(scoped_documents: None) -> None:
    with pytest.raises(NotFound) as raised:
        kb_search(query="hooks", actor="test", project="aismrr")
    assert raised.value.message == (
        "Unknown project 'aismrr': no knowledge-base document and no run names it "
        "(projects with documents: aismr, other)"
    )
    assert raised.value.details == {"project": "aismrr"}


def test_a_project_with_runs_and_no_documents_yet_searches_the_global_ones(scoped_documents: None) -> None:
    run_create(project="fresh")
    assert _paths(project="fresh") == {
        "kb/global.md",
        "kb/personas/iggy/hooks.md",
        "kb/personas/riley/hooks.md",
    }


def test_a_search_for_an_unknown_run_is_refused_before_searching() -> None:
    with pytest.raises(NotFound):
        kb_search(query="hooks", actor="test", run_id="no-such-run")
    assert not Artifact.objects.exists()


@pytest.mark.parametrize(
    "options",
    [{"query": "  "}, {"query": "x", "k": 0}, {"query": "x", "k": 51}, {"query": "x", "mode": "bm25"}],
)
def test_bad_search_input_is_invalid(options: dict) -> None:
    with pytest.raises(InvalidInput):
        kb_search(actor="test", **options)


def test_a_query_of_stopwords_only_returns_no_vector_hits(scoped_documents: None) -> None:
    assert kb_search(query="the and of", actor="test").hits == []


def test_snippets_show_the_text_around_the_first_query_word() -> None:
    content = "intro " * 100 + "the caption should ask a question " + "outro " * 100
    text = snippet(content, "caption question")
    assert "caption should ask a question" in text
    assert text.startswith("… ") and text.endswith(" …") and len(text) <= 250


def test_kb_search_command_prints_ranked_results(scoped_documents: None) -> None:
    out = io.StringIO()
    call_command(
        "kb_search", "hook viewers", "--project", "aismr", "--k", "2", "--mode", "hybrid", stdout=out
    )
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("1. ") and lines[2].startswith("2. ")
    assert "2 results in" in lines[-1] and "hybrid" in lines[-1]


def test_a_vector_search_is_one_statement_with_its_transaction_local_settings(
    scoped_documents: None, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.KB_SEARCH_EF_SEARCH = 123
    statements: list[str] = []

    def record(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        statements.append(sql % {key: repr(value) for key, value in params.items()} if params else sql)
        return execute(sql, params, many, context)

    query = get_backend().embed(["hook viewers"])[0]
    with connection.execute_wrapper(record):
        ranked = vector_ranking(query_vector=query, model=get_backend().model, k=3, project="aismr")

    assert len(ranked) == 3
    assert len(statements) == 1  # settings and search together; k rows came back, so no fallback
    (statement,) = statements
    assert "set_config('hnsw.iterative_scan', 'relaxed_order', true)" in statement
    assert "set_config('hnsw.ef_search', '123', true)" in statement
    assert statement.index("set_config") < statement.index("ORDER BY e.embedding <=>")
