"""Knowledge-base services: ingest, upsert/delete of documents, embedding jobs, search with audit.

Shared by the management commands, the API, the admin and the django-q2 tasks.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from artifacts.models import ArtifactType
from artifacts.services import artifact_create
from knowledge.embedding import EmbeddingError, get_backend
from knowledge.models import EmbeddingStatus, KbDocument, KbEmbedding
from knowledge.selectors import SearchHit, passes_floor, project_known, scope_values, search_documents
from knowledge.text import SUPPORTED_SUFFIXES, ChunkParams, chunk_text, render_source, scope_from_path, sha256
from myloware.lib.errors import DomainError, InvalidInput, NotFound, PayloadTooLarge
from myloware.lib.tasks import enqueue_on_commit
from runs.services import run_get

logger = logging.getLogger(__name__)

EMBED_TASK = "knowledge.tasks.kb_embed_batch"
SEARCH_MODES = ("vector", "hybrid", "fulltext")
MAX_K = 50


def chunk_params() -> ChunkParams:
    return ChunkParams(max_chars=settings.KB_CHUNK_MAX_CHARS, overlap_chars=settings.KB_CHUNK_OVERLAP_CHARS)


# --- one source document -------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """A rendered source file (or API document) and its scope."""

    path: str
    text: str
    project: str | None
    persona: str | None


@dataclass
class SourcePlan:
    """What applying a source changes: ``status`` is added / updated / unchanged."""

    path: str
    status: str
    chunks: list[str]
    source_hash: str
    changed_indexes: list[int] = field(default_factory=list)
    removed_indexes: list[int] = field(default_factory=list)


@dataclass
class SourceOutcome:
    plan: SourcePlan
    documents: list[KbDocument]
    pending_ids: list[str]


def _plan_source(source: Source, existing: Sequence[KbDocument], params: ChunkParams) -> SourcePlan:
    chunks = chunk_text(source.text, params)
    # The hash covers the text, the chunking parameters and the scope: any change re-plans.
    source_hash = sha256(f"{params.signature}\0{source.project}\0{source.persona}\0{source.text}")
    by_index = {doc.chunk_index: doc for doc in existing}
    if not existing:
        return SourcePlan(source.path, "added", chunks, source_hash, changed_indexes=list(range(len(chunks))))
    if len(existing) == len(chunks) and all(doc.source_hash == source_hash for doc in existing):
        return SourcePlan(source.path, "unchanged", chunks, source_hash)
    changed = [
        index
        for index, chunk in enumerate(chunks)
        if index not in by_index or by_index[index].content_hash != sha256(chunk)
    ]
    removed = sorted(index for index in by_index if index >= len(chunks))
    return SourcePlan(source.path, "updated", chunks, source_hash, changed, removed)


# What an ingest writes into a chunk it keeps (_apply_source); the rest never changes.
WRITTEN_FIELDS = [
    "content", "content_hash", "project", "persona", "source_hash", "chunk_count", "updated_at",
    "embedding_status", "embedding_model", "embedding_attempts", "embedding_error",
    "embedding_claimed_at", "embedded_at",
]  # fmt: skip


def _apply_source(source: Source, params: ChunkParams) -> SourceOutcome:
    """Write one source's chunks; only chunks whose content changed lose their vectors."""
    with transaction.atomic():
        # Serialises concurrent upserts of the same path (API + ingest) without a table lock.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"kb:{source.path}"])
        existing = list(
            KbDocument.objects.for_source(source.path).select_for_update().order_by("chunk_index")
        )
        plan = _plan_source(source, existing, params)
        if plan.status == "unchanged":
            return SourceOutcome(plan, existing, [])
        by_index = {doc.chunk_index: doc for doc in existing}
        changed = set(plan.changed_indexes)
        documents: list[KbDocument] = []
        for index, chunk in enumerate(plan.chunks):
            doc = by_index.get(index) or KbDocument(path=source.path, chunk_index=index)
            doc.content, doc.content_hash = chunk, sha256(chunk)
            doc.project, doc.persona = source.project, source.persona
            doc.source_hash, doc.chunk_count = plan.source_hash, len(plan.chunks)
            doc.updated_at = timezone.now()  # bulk_update does not apply auto_now
            if index in changed:
                _reset_embedding_state(doc)
            documents.append(doc)
        # One statement each for the new chunks and the kept ones, not one per chunk.
        KbDocument.objects.bulk_create([doc for doc in documents if doc.chunk_index not in by_index])
        KbDocument.objects.bulk_update(
            [doc for doc in documents if doc.chunk_index in by_index], WRITTEN_FIELDS
        )
        stale = [by_index[index].pk for index in changed if index in by_index]
        # Vectors of every model describe the old text: none of them may answer a search.
        KbEmbedding.objects.filter(doc_id__in=stale).delete()
        KbDocument.objects.filter(pk__in=[by_index[index].pk for index in plan.removed_indexes]).delete()
    pending = [str(documents[index].pk) for index in plan.changed_indexes]
    return SourceOutcome(plan, documents, pending)


def _reset_embedding_state(doc: KbDocument) -> None:
    doc.embedding_status = EmbeddingStatus.PENDING
    doc.embedding_model = ""
    doc.embedding_attempts = 0
    doc.embedding_error = ""
    doc.embedding_claimed_at = None
    doc.embedded_at = None


@dataclass
class UpsertResult:
    status: str
    path: str
    documents: list[KbDocument]
    embeddings_queued: int


def kb_document_upsert(
    *,
    path: str,
    content: str,
    project: str | None = None,
    persona: str | None = None,
    actor: str,
) -> UpsertResult:
    """Create or replace the document at ``path`` (chunked like an ingested file).

    Scope comes from the path unless ``project``/``persona`` are given. JSON content of a
    ``.json`` path is rendered as for ingest. Only changed chunks are re-embedded.
    """
    path = _clean_path(path)
    _refuse_nul(content=content, project=project, persona=persona)
    if len(content.encode("utf-8")) > settings.KB_INGEST_MAX_FILE_BYTES:
        raise PayloadTooLarge(f"content is larger than {settings.KB_INGEST_MAX_FILE_BYTES} bytes")
    try:
        text = render_source(path, content)
    except ValueError as exc:
        raise InvalidInput(
            f"content of a .json path must be JSON: {exc}", details={"content": str(exc)}
        ) from None
    if not text.strip():
        raise InvalidInput("content is empty", details={"content": "must not be empty"})
    derived_project, derived_persona = scope_from_path(path)
    source = Source(path, text, project or derived_project, persona or derived_persona)
    outcome = _apply_source(source, chunk_params())
    kb_embed_enqueue(doc_ids=outcome.pending_ids)
    logger.info("kb document %s %s by %s", path, outcome.plan.status, actor)
    return UpsertResult(outcome.plan.status, path, outcome.documents, len(outcome.pending_ids))


def _refuse_nul(**fields: str | None) -> None:
    # PostgreSQL text cannot hold NUL; refusing it here keeps a bad request a 422, not a 500.
    bad = sorted(name for name, value in fields.items() if value and "\0" in value)
    if bad:
        raise InvalidInput(
            f"{', '.join(bad)} must not contain NUL characters", details=dict.fromkeys(bad, "NUL")
        )


def _clean_path(path: str) -> str:
    path = (path or "").strip().replace("\\", "/").strip("/")
    if not path or len(path) > 1000 or "\0" in path:
        raise InvalidInput("path must be a non-empty relative path", details={"path": "invalid"})
    return path


def kb_document_delete(*, doc_id: str, actor: str) -> int:
    """Delete the source document that ``doc_id`` belongs to (all its chunks); returns rows removed."""
    doc = KbDocument.objects.filter(pk=doc_id).only("path").first()
    if doc is None:
        raise NotFound(f"Knowledge document {doc_id} does not exist")
    _, per_model = KbDocument.objects.for_source(doc.path).delete()
    logger.info("kb document %s deleted by %s", doc.path, actor)
    return per_model.get(KbDocument._meta.label, 0)


# --- ingest of a folder --------------------------------------------------------------------------


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks: int = 0
    embeddings_queued: int = 0
    seconds: float = 0.0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    plan: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def files(self) -> int:
        return self.added + self.updated + self.unchanged

    def summary(self) -> str:
        verb = "would be " if self.dry_run else ""
        return (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.removed} removed {verb}(files); {self.chunks} chunks; "
            f"{self.embeddings_queued} embeddings {'to queue' if self.dry_run else 'queued'}; "
            f"{len(self.skipped)} skipped; {self.seconds:.2f} s"
        )


def source_files(root: Path) -> list[Path]:
    """Markdown and JSON files below ``root`` (hidden folders skipped), in a stable order."""
    if root.is_file():
        return [root]
    return sorted(
        path
        for path in root.rglob("*")
        if path.suffix.lower() in SUPPORTED_SUFFIXES
        and path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
    )


def kb_ingest(
    *,
    root: Path,
    actor: str,
    project: str | None = None,
    persona: str | None = None,
    prune: bool = False,
    dry_run: bool = False,
    prefix: str | None = None,
    progress: Callable[[list[Path]], Iterable[Path]] = iter,
) -> IngestReport:
    """Ingest the Markdown/JSON tree at ``root``; idempotent by content hash.

    Documents are stored under ``<prefix>/<path inside root>`` (``prefix`` defaults to the
    folder's name), so two trees with equal file names don't collide and ``prune`` only removes
    documents of this tree whose file is gone. Unreadable files are reported in ``skipped``.
    """
    started = time.monotonic()
    root = root.resolve()
    if not root.exists():
        raise NotFound(f"{root} does not exist")
    if prune and not root.is_dir():
        # Pruning against a single file would delete every other document of its folder.
        raise InvalidInput("--prune needs a folder, not a single file")
    prefix = (prefix if prefix is not None else (root.name if root.is_dir() else root.parent.name)).strip("/")
    base = root if root.is_dir() else root.parent
    report = IngestReport(dry_run=dry_run)
    params = chunk_params()
    seen: set[str] = set()
    pending: list[str] = []
    for file in progress(source_files(root)):
        stored_path = "/".join(filter(None, [prefix, file.relative_to(base).as_posix()]))
        seen.add(stored_path)
        source = _read_source(file, stored_path, project, persona, report)
        if source is None:
            continue
        if dry_run:
            existing = list(KbDocument.objects.for_source(stored_path).order_by("chunk_index"))
            plan = _plan_source(source, existing, params)
            queued = len(plan.changed_indexes)
        else:
            outcome = _apply_source(source, params)
            plan, queued = outcome.plan, len(outcome.pending_ids)
            pending.extend(outcome.pending_ids)
        _count(report, plan, queued)
    if prune:
        _prune(report, prefix, seen, dry_run)
    if not dry_run:
        kb_embed_enqueue(doc_ids=pending)
    report.seconds = time.monotonic() - started
    logger.info("kb_ingest of %s by %s: %s", root, actor, report.summary())
    return report


def _read_source(
    file: Path, stored_path: str, project: str | None, persona: str | None, report: IngestReport
) -> Source | None:
    try:
        if file.stat().st_size > settings.KB_INGEST_MAX_FILE_BYTES:
            raise ValueError(f"larger than {settings.KB_INGEST_MAX_FILE_BYTES} bytes")
        text = render_source(stored_path, file.read_text(encoding="utf-8"))
        if "\0" in text:
            raise ValueError("contains NUL characters")
    except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        report.skipped.append((stored_path, f"{type(exc).__name__}: {exc}"))
        return None
    derived_project, derived_persona = scope_from_path(stored_path)
    return Source(stored_path, text, project or derived_project, persona or derived_persona)


def _count(report: IngestReport, plan: SourcePlan, queued: int) -> None:
    setattr(report, plan.status, getattr(report, plan.status) + 1)
    report.chunks += len(plan.chunks)
    report.embeddings_queued += queued
    if plan.status != "unchanged":
        detail = f"{len(plan.changed_indexes)} of {len(plan.chunks)} chunks to embed"
        if plan.removed_indexes:
            detail += f", {len(plan.removed_indexes)} chunks removed"
        report.plan.append(f"{plan.status}: {plan.path} ({detail})")


def _prune(report: IngestReport, prefix: str, seen: set[str], dry_run: bool) -> None:
    under = KbDocument.objects.filter(path__startswith=f"{prefix}/") if prefix else KbDocument.objects.all()
    gone = sorted(set(under.exclude(path__in=seen).values_list("path", flat=True)))
    for path in gone:
        report.plan.append(f"removed: {path}")
    report.removed = len(gone)
    if gone and not dry_run:
        KbDocument.objects.filter(path__in=gone).delete()


# --- embedding jobs ------------------------------------------------------------------------------


def kb_embed_enqueue(*, doc_ids: Sequence[str | uuid.UUID]) -> int:
    """Queue embedding jobs of ``KB_EMBED_BATCH_SIZE`` documents once the transaction commits."""
    size = settings.KB_EMBED_BATCH_SIZE
    ids = [str(doc_id) for doc_id in doc_ids]
    for start in range(0, len(ids), size):
        batch = ids[start : start + size]
        enqueue_on_commit(EMBED_TASK, batch)
    return len(ids)


@dataclass
class EmbedOutcome:
    claimed: int = 0
    embedded: int = 0
    failed: int = 0
    error: str = ""


def kb_embed_documents(*, doc_ids: Sequence[str]) -> EmbedOutcome:
    """Embed the given documents that are still pending (the claim makes duplicate jobs no-ops).

    The backend is called outside any transaction; a vector is only stored if the document's
    content is still the one that was embedded (an ingest may have changed it meanwhile).
    """
    backend = get_backend()
    claimed = _claim(doc_ids)
    outcome = EmbedOutcome(claimed=len(claimed))
    if not claimed:
        return outcome
    try:
        vectors = backend.embed([content for _, content, _ in claimed])
    except (EmbeddingError, ValueError) as exc:
        outcome.failed, outcome.error = len(claimed), str(exc)
        _release_failed([doc_id for doc_id, _, _ in claimed], str(exc))
        logger.warning("embedding of %d documents failed: %s", len(claimed), exc)
        return outcome
    outcome.embedded = _store_vectors(claimed, vectors, backend.model)
    return outcome


def _store_vectors(claimed: list[tuple[str, str, str]], vectors: list[list[float]], model: str) -> int:
    """Store the vectors of documents still claimed with the text that was embedded; returns how many.

    Three statements per batch: lock and read the current hashes, mark ready, upsert vectors.
    """
    with transaction.atomic():
        current = dict(
            KbDocument.objects.select_for_update()
            .filter(pk__in=[doc_id for doc_id, _, _ in claimed], embedding_status=EmbeddingStatus.EMBEDDING)
            .values_list("pk", "content_hash")
        )
        fresh = [
            (doc_id, vector)
            for (doc_id, _, content_hash), vector in zip(claimed, vectors, strict=True)
            if current.get(uuid.UUID(doc_id)) == content_hash
        ]
        KbDocument.objects.filter(pk__in=[doc_id for doc_id, _ in fresh]).update(
            embedding_status=EmbeddingStatus.READY,
            embedding_model=model,
            embedding_error="",
            embedding_claimed_at=None,
            embedded_at=timezone.now(),
        )
        KbEmbedding.objects.bulk_create(
            [KbEmbedding(doc_id=doc_id, model=model, embedding=vector) for doc_id, vector in fresh],
            update_conflicts=True,
            unique_fields=["doc", "model"],
            update_fields=["embedding"],
        )
    return len(fresh)


def _claim(doc_ids: Sequence[str]) -> list[tuple[str, str, str]]:
    """Conditionally take pending (or stale claimed) documents: 0 rows means someone else has them."""
    stale = timezone.now() - timedelta(seconds=settings.KB_EMBED_CLAIM_TIMEOUT)
    claimable = Q(embedding_status=EmbeddingStatus.PENDING) | Q(
        embedding_status=EmbeddingStatus.EMBEDDING, embedding_claimed_at__lt=stale
    )
    with transaction.atomic():
        rows = list(
            KbDocument.objects.filter(claimable, pk__in=list(doc_ids))
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        KbDocument.objects.filter(pk__in=rows).update(
            embedding_status=EmbeddingStatus.EMBEDDING,
            embedding_claimed_at=timezone.now(),
            embedding_attempts=F("embedding_attempts") + 1,
        )
    documents = KbDocument.objects.filter(pk__in=rows).values_list("pk", "content", "content_hash")
    return [(str(pk), content, content_hash) for pk, content, content_hash in documents]


def _release_failed(doc_ids: list[str], error: str) -> None:
    # Back to pending for the sweep to retry later; "failed" once the attempts are used up.
    claimed = KbDocument.objects.filter(pk__in=doc_ids, embedding_status=EmbeddingStatus.EMBEDDING)
    common: dict[str, Any] = {
        "embedding_error": error[:2000],
        "embedding_claimed_at": None,
        "updated_at": timezone.now(),
    }
    claimed.filter(embedding_attempts__gte=settings.KB_EMBED_MAX_ATTEMPTS).update(
        embedding_status=EmbeddingStatus.FAILED, **common
    )
    claimed.update(embedding_status=EmbeddingStatus.PENDING, **common)


def kb_embed_sweep(*, limit: int = 10_000) -> int:
    """Queue jobs for documents left pending (lost job, failed attempt) or stuck in a stale claim.

    Pending rows touched in the last minute are left alone: their own job is probably queued.
    """
    now = timezone.now()
    waiting = Q(embedding_status=EmbeddingStatus.PENDING, updated_at__lt=now - timedelta(minutes=1)) | Q(
        embedding_status=EmbeddingStatus.EMBEDDING,
        embedding_claimed_at__lt=now - timedelta(seconds=settings.KB_EMBED_CLAIM_TIMEOUT),
    )
    ids = list(KbDocument.objects.filter(waiting).values_list("pk", flat=True)[:limit])
    return kb_embed_enqueue(doc_ids=ids)


def kb_reembed(*, actor: str, doc_ids: Sequence[str] | None = None, everything: bool = False) -> list[str]:
    """Mark documents pending for the active model and queue their jobs; returns their ids.

    By default only documents without a current vector of the active model (after a model
    change: all of them); ``everything`` or explicit ``doc_ids`` force a re-embed. Vectors of
    other models stay until replaced, so switching back needs no recomputation.
    """
    model = get_backend().model
    documents = KbDocument.objects.all()
    if doc_ids is not None:
        documents = documents.filter(pk__in=list(doc_ids))
    elif not everything:
        documents = documents.waiting_for_vector(model).exclude(embedding_status=EmbeddingStatus.EMBEDDING)
    with transaction.atomic():
        ids = [str(pk) for pk in documents.select_for_update().values_list("pk", flat=True)]
        KbDocument.objects.filter(pk__in=ids).update(
            embedding_status=EmbeddingStatus.PENDING,
            embedding_attempts=0,
            embedding_error="",
            embedding_claimed_at=None,
            updated_at=timezone.now(),
        )
        kb_embed_enqueue(doc_ids=ids)
    logger.info("kb_reembed of %d documents for %s by %s", len(ids), model, actor)
    return ids


# --- search --------------------------------------------------------------------------------------


@dataclass
class SearchResponse:
    hits: list[SearchHit]
    latency_ms: float
    mode: str
    model: str
    trace_id: str | None = None
    citations_id: str | None = None


def kb_search(
    *,
    query: str,
    actor: str,
    k: int = 5,
    project: str | None = None,
    persona: str | None = None,
    mode: str = "vector",
    run_id: str | None = None,
    min_similarity: float | None = None,
) -> SearchResponse:
    """Top-k documents for ``query`` within the scope; with ``run_id`` records the RAG audit trail.

    ``min_similarity`` is a relevance floor: hits whose words did not match and whose cosine is
    below it are dropped (the console's search page says "no match" rather than listing noise).

    The audit trail is a ``retrieval.trace`` artifact and its ``citations`` sibling (docs/runs.md,
    retrieval audit), written in one transaction so a trace never lacks its citations.
    """
    query = (query or "").strip()
    if not query:
        raise InvalidInput("query must not be empty", details={"query": "required"})
    _refuse_nul(query=query, project=project, persona=persona, run_id=run_id)
    if not 1 <= k <= MAX_K:
        raise InvalidInput(f"k must be between 1 and {MAX_K}", details={"k": k})
    if mode not in SEARCH_MODES:
        raise InvalidInput(f"mode must be one of {', '.join(SEARCH_MODES)}", details={"mode": mode})
    if run_id is not None:
        run_get(run_id=run_id)
    if project:
        _require_known_project(project)
    backend = get_backend()
    started = time.perf_counter()
    query_vector = _query_vector(backend, query, mode)
    hits = search_documents(
        query=query,
        query_vector=query_vector,
        model=backend.model,
        k=k,
        project=project or None,
        persona=persona or None,
        mode=mode,
    )
    if min_similarity is not None:
        hits = [hit for hit in hits if passes_floor(hit, min_similarity)]
    response = SearchResponse(hits, (time.perf_counter() - started) * 1000, mode, backend.model)
    if run_id is not None:
        _record_audit(
            response, query=query, run_id=run_id, project=project, persona=persona, k=k, actor=actor
        )
    return response


# At most this many projects are named in the error for an unknown one.
_KNOWN_PROJECTS_SHOWN = 20


def _require_known_project(project: str) -> None:
    """A search scoped to a project nothing names is a mistake (a typo would otherwise quietly
    search the global documents only): 404 naming it and the projects that have documents, like
    a run_id that names no run (the request is well-formed; what it refers to does not exist)."""
    if project_known(project):
        return
    projects = scope_values()[0]
    listed = ", ".join(projects[:_KNOWN_PROJECTS_SHOWN]) + (
        " …" if len(projects) > _KNOWN_PROJECTS_SHOWN else ""
    )
    raise NotFound(
        f"Unknown project {project!r}: no knowledge-base document and no run names it"
        + (f" (projects with documents: {listed})" if projects else ""),
        details={"project": project},
    )


class EmbeddingUnavailable(DomainError):
    """The embedding backend failed after its retries (503: try again later)."""

    http_status = 503
    code = "embedding_unavailable"


def _query_vector(backend: Any, query: str, mode: str) -> list[float] | None:
    if mode == "fulltext":
        return None
    try:
        return backend.embed([query])[0]
    except EmbeddingError as exc:
        if mode == "hybrid":
            # Degrade to the full-text half rather than fail: the reasons show no vector rank.
            logger.warning("query embedding failed, hybrid search uses full text only: %s", exc)
            return None
        raise EmbeddingUnavailable(f"The embedding backend is unavailable: {exc}") from None


def _record_audit(
    response: SearchResponse,
    *,
    query: str,
    run_id: str,
    project: str | None,
    persona: str | None,
    k: int,
    actor: str,
) -> None:
    trace = {
        "query": query,
        "docIds": [hit.doc_id for hit in response.hits],
        # Cosine similarity of each hit (0.0 for a full-text hit that has no vector yet).
        "similarities": [round(max(-1.0, min(1.0, hit.similarity or 0.0)), 6) for hit in response.hits],
        "persona": persona or None,
        "project": project or None,
    }
    context = {"mode": response.mode, "model": response.model, "k": k, "actor": actor}
    with transaction.atomic():
        trace_artifact, _ = artifact_create(
            run_id=run_id,
            type=ArtifactType.RETRIEVAL_TRACE,
            actor=actor,
            persona=persona or None,
            retrieval_trace=trace,
            metadata={"search": context, "scores": [hit.score for hit in response.hits]},
        )
        items = [{"doc_id": hit.doc_id, "path": hit.path, "reason": hit.reason} for hit in response.hits]
        citations, _ = artifact_create(
            run_id=run_id,
            type=ArtifactType.CITATIONS,
            actor=actor,
            persona=persona or None,
            metadata={"trace_id": str(trace_artifact.pk), "items": items},
        )
    response.trace_id, response.citations_id = str(trace_artifact.pk), str(citations.pk)
