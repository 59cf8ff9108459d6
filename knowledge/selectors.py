"""Knowledge-base reads: document lists, vector, full-text and hybrid search.

Vector search is written so that PostgreSQL uses the HNSW index: ``ORDER BY embedding <=> q
LIMIT k`` with the cosine operator that matches the index's ``vector_cosine_ops`` (the original
ordered by L2 while scoring cosine, so its index was never used). Filters (scope, model) are
applied while the index is walked; pgvector 0.8's iterative scans keep walking until k rows pass
the filter, so a narrow project still gets k results.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet

from knowledge.embedding import STOPWORDS, active_model
from knowledge.models import FULL_TEXT_CONFIG, KbDocument
from myloware.lib.errors import NotFound
from runs.selectors import project_has_runs

SNIPPET_CHARS = 240
_WORD = re.compile(r"[^\W_]{3,}", re.UNICODE)


def documents(
    *,
    pending: bool = False,
    project: str | None = None,
    persona: str | None = None,
    path: str | None = None,
) -> QuerySet[KbDocument]:
    """Documents (without their content) with ``waiting_for_vector`` for the active model;
    ``pending`` keeps only those still waiting, the others are exact matches."""
    model = active_model()
    rows = KbDocument.objects.defer("content").with_vector_state(model)
    if pending:
        rows = rows.waiting_for_vector(model)
    filters = {"project": project, "persona": persona, "path": path}
    return rows.filter(**{name: value for name, value in filters.items() if value})


def documents_by_ids(ids: Sequence[Any]) -> list[KbDocument]:
    """The documents of ``ids`` as they are now, in that order (ids gone meanwhile are left out)."""
    fresh = documents().in_bulk(list(ids))
    return [fresh[pk] for pk in ids if pk in fresh]


def document_get(*, doc_id: Any) -> KbDocument:
    """One document with its content and ``waiting_for_vector``; NotFound when it does not exist."""
    doc = KbDocument.objects.with_vector_state(active_model()).filter(pk=doc_id).first()
    if doc is None:
        raise NotFound(f"Knowledge document {doc_id} does not exist")
    return doc


@dataclass
class SearchHit:
    doc_id: str
    path: str
    project: str | None
    persona: str | None
    score: float
    snippet: str
    similarity: float | None = None
    reason: str = ""
    chunk_index: int = 0
    text_match: bool = False  # the full-text ranking found the query's words in it


def vector_literal(vector: Sequence[float]) -> str:
    return "[" + ",".join(f"{value:.7g}" for value in vector) + "]"


def _scope_sql(project: str | None, persona: str | None) -> str:
    # A scoped search sees the scope's documents and the global (NULL-scoped) ones.
    clauses = []
    if project:
        clauses.append("(d.project = %(project)s OR d.project IS NULL)")
    if persona:
        clauses.append("(d.persona = %(persona)s OR d.persona IS NULL)")
    return "".join(f" AND {clause}" for clause in clauses)


# Candidates come out of the index in (approximately, with relaxed_order) distance order; the
# materialised CTE is re-sorted exactly, as pgvector recommends for relaxed iterative scans.
_VECTOR_SQL = """
WITH query AS MATERIALIZED (SELECT %(q)s::vector AS v),
hits AS MATERIALIZED (
    SELECT e.doc_id, e.embedding <=> (SELECT v FROM query) AS distance
    FROM kb_embeddings e JOIN kb_documents d ON d.id = e.doc_id
    WHERE e.model = %(model)s{scope}
    ORDER BY {order}
    LIMIT %(k)s
)
SELECT hits.doc_id, hits.distance, d.path, d.project, d.persona, d.content, d.chunk_index
FROM hits JOIN kb_documents d ON d.id = hits.doc_id
ORDER BY hits.distance, hits.doc_id
"""
# The query vector is sent once (15 kB of text at 1536 dimensions); an InitPlan feeds it to
# the index scan, which the planner still uses for the ORDER BY.
_INDEX_ORDER = "e.embedding <=> (SELECT v FROM query)"
# "+ 0" hides the operator from the planner: an exact scan of the (small) filtered set.
_EXACT_ORDER = "(e.embedding <=> (SELECT v FROM query)) + 0"
_DOC_FIELDS = ("path", "project", "persona", "content", "chunk_index")

_FULLTEXT_SQL = """
SELECT d.id, ts_rank(d.search_vector, query, 1) AS rank
FROM kb_documents d,
     CAST(replace(plainto_tsquery(%(config)s::regconfig, %(text)s)::text, ' & ', ' | ') AS tsquery) AS query
WHERE d.search_vector @@ query{scope}
ORDER BY rank DESC, d.id
LIMIT %(k)s
"""


def vector_sql(*, project: str | None = None, persona: str | None = None, exact: bool = False) -> str:
    order = _EXACT_ORDER if exact else _INDEX_ORDER
    return _VECTOR_SQL.replace("{scope}", _scope_sql(project, persona)).replace("{order}", order)


_SET_PARAMETERS = (
    "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true), "
    "set_config('hnsw.ef_search', %(ef)s, true), set_config('hnsw.max_scan_tuples', %(max_scan)s, true)"
)


def _parameters(k: int, ef_search: int | None) -> dict[str, str]:
    ef = max(ef_search or settings.KB_SEARCH_EF_SEARCH, k)
    return {"ef": str(ef), "max_scan": str(settings.KB_SEARCH_MAX_SCAN_TUPLES)}


def set_search_parameters(cursor: Any, *, k: int, ef_search: int | None = None) -> None:
    """Transaction-local HNSW knobs: iterative scan so filters can't starve the result."""
    cursor.execute(_SET_PARAMETERS, _parameters(k, ef_search))


def _one_round_trip() -> bool:
    # Client-side binding (Django's default with psycopg 3) sends both statements as one simple
    # query, which PostgreSQL runs in one implicit transaction: SET LOCAL holds for the search.
    return not connection.settings_dict.get("OPTIONS", {}).get("server_side_binding")


def vector_ranking(
    *,
    query_vector: Sequence[float],
    model: str,
    k: int,
    project: str | None = None,
    persona: str | None = None,
    ef_search: int | None = None,
    documents: dict[str, dict[str, Any]] | None = None,
) -> list[tuple[str, float]]:
    """``[(doc_id, cosine similarity)]`` best first, at most ``k``.

    The documents' fields come back in the same statement and are put into ``documents`` when
    given, which saves the search a second query.
    """
    if not any(query_vector):
        return []  # a query of stopwords only has no direction; cosine is undefined
    params: dict[str, str | int | None] = {
        "q": vector_literal(query_vector),
        "model": model,
        "k": k,
        "project": project,
        "persona": persona,
    }
    sql = vector_sql(project=project, persona=persona)
    if _one_round_trip():
        # One round trip instead of four (BEGIN, SET, SELECT, COMMIT) on every search.
        with connection.cursor() as cursor:
            cursor.execute(f"{_SET_PARAMETERS}; {sql}", {**params, **_parameters(k, ef_search)})
            cursor.nextset()
            rows = cursor.fetchall()
    else:
        with transaction.atomic(), connection.cursor() as cursor:
            set_search_parameters(cursor, k=k, ef_search=ef_search)
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    if len(rows) < k:
        with connection.cursor() as cursor:
            # The iterative scan stops at hnsw.max_scan_tuples; when a very narrow filter got
            # fewer than k rows, an exact scan settles whether k exist at all.
            cursor.execute(vector_sql(project=project, persona=persona, exact=True), params)
            rows = cursor.fetchall()
    if documents is not None:
        documents.update({str(row[0]): dict(zip(_DOC_FIELDS, row[2:], strict=True)) for row in rows})
    return [(str(row[0]), _similarity(row[1])) for row in rows]


def _similarity(distance: float | None) -> float:
    if distance is None or math.isnan(distance):
        return 0.0
    return max(-1.0, min(1.0, 1.0 - distance))


def fulltext_ranking(
    *, query: str, k: int, project: str | None = None, persona: str | None = None
) -> list[tuple[str, float]]:
    """``[(doc_id, ts_rank)]`` of documents matching any query word, best first."""
    params: dict[str, str | int | None] = {
        "config": FULL_TEXT_CONFIG,
        "text": query,
        "k": k,
        "project": project,
        "persona": persona,
    }
    with connection.cursor() as cursor:
        cursor.execute(_FULLTEXT_SQL.replace("{scope}", _scope_sql(project, persona)), params)
        return [(str(doc_id), float(rank)) for doc_id, rank in cursor.fetchall()]


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], *, k: int = 60) -> list[tuple[str, float]]:
    """Fuse rankings (lists of ids, best first) by RRF: score = sum over lists of 1 / (k + rank).

    Ties are broken by the best single rank, then by id, so the order is deterministic.
    """
    scores: dict[str, float] = {}
    best: dict[str, int] = {}
    for ranking in rankings:
        for rank, doc_id in enumerate(ranking, start=1):
            scores[doc_id] = scores.get(doc_id, 0.0) + 1.0 / (k + rank)
            best[doc_id] = min(best.get(doc_id, rank), rank)
    return sorted(scores.items(), key=lambda item: (-item[1], best[item[0]], item[0]))


def search_documents(
    *,
    query: str,
    query_vector: Sequence[float] | None,
    model: str,
    k: int,
    project: str | None = None,
    persona: str | None = None,
    mode: str = "vector",
) -> list[SearchHit]:
    """Ranked hits with scores, snippets and the reason each was retrieved."""
    if mode == "vector":
        assert query_vector is not None
        known: dict[str, dict[str, Any]] = {}
        ranked = vector_ranking(
            query_vector=query_vector, model=model, k=k, project=project, persona=persona, documents=known
        )
        reasons = {
            doc_id: f"vector rank {rank}, cosine {sim:.3f}" for rank, (doc_id, sim) in enumerate(ranked, 1)
        }
        return _hits(ranked, dict(ranked), reasons, query, known)
    if mode == "fulltext":
        ranked = fulltext_ranking(query=query, k=k, project=project, persona=persona)
        reasons = {
            doc_id: f"full-text rank {rank}, ts_rank {score:.4f}"
            for rank, (doc_id, score) in enumerate(ranked, 1)
        }
        similarities = _similarities([doc for doc, _ in ranked], model, query_vector)
        return _hits(ranked, similarities, reasons, query, text_matches={doc for doc, _ in ranked})
    return _hybrid(query=query, query_vector=query_vector, model=model, k=k, project=project, persona=persona)


def _hybrid(
    *,
    query: str,
    query_vector: Sequence[float] | None,
    model: str,
    k: int,
    project: str | None,
    persona: str | None,
) -> list[SearchHit]:
    candidates = max(settings.KB_HYBRID_CANDIDATES, k)
    known: dict[str, dict[str, Any]] = {}
    by_vector = (
        vector_ranking(
            query_vector=query_vector,
            model=model,
            k=candidates,
            project=project,
            persona=persona,
            documents=known,
        )
        if query_vector is not None
        else []
    )
    by_text = fulltext_ranking(query=query, k=candidates, project=project, persona=persona)
    fused = reciprocal_rank_fusion([[d for d, _ in by_vector], [d for d, _ in by_text]], k=settings.KB_RRF_K)[
        :k
    ]
    vector_rank = {doc_id: rank for rank, (doc_id, _) in enumerate(by_vector, 1)}
    text_rank = {doc_id: rank for rank, (doc_id, _) in enumerate(by_text, 1)}
    reasons = {
        doc_id: "hybrid RRF {:.4f}: vector rank {}, full-text rank {}".format(
            score, vector_rank.get(doc_id, "-"), text_rank.get(doc_id, "-")
        )
        for doc_id, score in fused
    }
    similarities = dict(by_vector)
    missing = [doc_id for doc_id, _ in fused if doc_id not in similarities]
    similarities.update(_similarities(missing, model, query_vector))
    return _hits(fused, similarities, reasons, query, known, text_matches=set(text_rank))


def _similarities(doc_ids: list[str], model: str, query_vector: Sequence[float] | None) -> dict[str, float]:
    if not doc_ids or query_vector is None or not any(query_vector):
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT doc_id, embedding <=> %s::vector FROM kb_embeddings WHERE model = %s AND doc_id = ANY(%s::uuid[])",
            [vector_literal(query_vector), model, doc_ids],
        )
        return {str(doc_id): _similarity(distance) for doc_id, distance in cursor.fetchall()}


def _hits(
    ranked: list[tuple[str, float]],
    similarities: dict[str, float],
    reasons: dict[str, str],
    query: str,
    known: dict[str, dict[str, Any]] | None = None,
    text_matches: set[str] | None = None,
) -> list[SearchHit]:
    documents = dict(known or {})
    missing = [doc_id for doc_id, _ in ranked if doc_id not in documents]
    if missing:
        rows = KbDocument.objects.filter(pk__in=missing).values_list("id", *_DOC_FIELDS)
        documents.update({str(row[0]): dict(zip(_DOC_FIELDS, row[1:], strict=True)) for row in rows})
    hits = []
    for doc_id, score in ranked:
        doc = documents.get(doc_id)
        if doc is None:
            continue  # deleted between the ranking and this read
        hits.append(
            SearchHit(
                doc_id=doc_id,
                path=doc["path"],
                project=doc["project"],
                persona=doc["persona"],
                score=round(score, 6),
                snippet=snippet(doc["content"], query),
                similarity=similarities.get(doc_id),
                reason=reasons.get(doc_id, ""),
                chunk_index=doc["chunk_index"],
                text_match=doc_id in (text_matches or ()),
            )
        )
    return hits


def query_terms(query: str) -> list[str]:
    """The words of a query that count (3+ letters, no stopwords), case-folded."""
    return [word for word in _WORD.findall(query.casefold()) if word not in STOPWORDS]


def passes_floor(hit: SearchHit, min_similarity: float) -> bool:
    """Relevance floor: a hit stays when its words matched, or its cosine reaches the floor
    (a query nothing matches gets "no match", not the least unrelated documents)."""
    return hit.text_match or (hit.similarity is not None and hit.similarity >= min_similarity)


def snippet(content: str, query: str, length: int = SNIPPET_CHARS) -> str:
    """A window of ``content`` around the first query word it contains (or its start)."""
    text = " ".join(content.split())
    lowered = text.casefold()
    words = query_terms(query)
    positions = [position for position in (lowered.find(word) for word in words) if position >= 0]
    start = max(0, min(positions) - length // 4) if positions else 0
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    window = text[start : start + length]
    if start + length < len(text):
        space = window.rfind(" ")
        window = (window[:space] if space > length // 2 else window) + " …"
    return ("… " if start else "") + window


def project_known(project: str) -> bool:
    """Whether a knowledge-base document or a run names ``project``: projects have no table of
    their own, they exist by being used (a new project's first runs search before it has
    documents, and see the global ones)."""
    return KbDocument.objects.filter(project=project).exists() or project_has_runs(project=project)


def scope_values() -> tuple[list[str], list[str]]:
    """The projects and personas that documents are scoped to (the search page's choices)."""
    rows = KbDocument.objects.order_by().values_list("project", "persona").distinct()
    projects = sorted({project for project, _ in rows if project})
    personas = sorted({persona for _, persona in rows if persona})
    return projects, personas


def documents_waiting_for_vectors() -> int:
    """Documents without a current vector of the active model (the gauge
    ``myloware_knowledge_documents_waiting_for_vectors``; the same rule as the embedding jobs')."""
    return KbDocument.objects.waiting_for_vector(active_model()).count()
