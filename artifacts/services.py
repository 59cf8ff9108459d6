"""Artifact services: the only code that writes artifacts.

The RAG audit conventions (docs/runs.md, Artifacts and the retrieval audit) are validated here, so every writer (the API, the
knowledge app's search, webhook handlers) gets the same 422 naming the broken rule.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from django.db import connection

from artifacts.models import Artifact, ArtifactType
from knowledge.models import KbDocument
from myloware.lib.errors import Conflict, InvalidInput
from myloware.lib.ids import is_uuid
from runs.models import Run
from runs.services import run_get

_TRACE_KEYS = ("query", "docIds", "similarities", "persona", "project")
# A trace records one search's hits: at most the largest k a search returns (knowledge.services.MAX_K).
MAX_TRACE_DOCUMENTS = 50


def artifact_create(
    *,
    run_id: str,
    type: str,
    actor: str = "system",
    provider: str | None = None,
    url: str | None = None,
    checksum: str | None = None,
    persona: str | None = None,
    retrieval_trace: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    run: Run | None = None,
) -> tuple[Artifact, bool]:
    """Create an artifact; returns ``(artifact, created)``.

    The same run + type + checksum again returns the existing artifact (``created`` False).
    ``retrieval.trace`` and ``citations`` artifacts must follow the retrieval-audit conventions of docs/runs.md (InvalidInput,
    422, names the rule otherwise); citations without their trace, or contradicting it or the
    knowledge base, are a Conflict (409): the body is well-formed, the stored state disagrees.
    The body is validated before the checksum is looked up. ``run`` is the run when the caller
    has just read it in this transaction (webhook handlers hold it locked): it is not read again.
    """
    if run is None:
        run_get(run_id=run_id)
    if not isinstance(type, str) or not type.strip():
        raise InvalidInput("type is required (e.g. idea, script, clip, retrieval.trace, citations)")
    if metadata is not None and not isinstance(metadata, dict):
        raise InvalidInput("metadata must be a JSON object")
    if retrieval_trace is not None and not isinstance(retrieval_trace, dict):
        raise InvalidInput("retrieval_trace must be a JSON object")
    # The column holds a retrieval trace, whatever the type; a retrieval.trace artifact needs one.
    if type == ArtifactType.RETRIEVAL_TRACE or retrieval_trace is not None:
        validate_retrieval_trace(retrieval_trace)
    elif type == ArtifactType.CITATIONS:
        metadata = validate_citations(run_id=run_id, persona=persona, metadata=metadata)
    artifact = Artifact(
        run_id=run_id,
        type=type,
        provider=provider,
        url=url,
        checksum=checksum,
        persona=persona,
        retrieval_trace=retrieval_trace,
        metadata=metadata or {},
    )
    if checksum is None:
        artifact.save(force_insert=True)
        return artifact, True
    if _insert_unless_checksum_exists(artifact):
        return artifact, True
    return Artifact.objects.get(run_id=run_id, type=type, checksum=checksum), False


# Every column but created_at (the database stamps it and the statement returns it), read from
# the model so that a new column is inserted too.
_INSERTED_FIELDS = [field for field in Artifact._meta.concrete_fields if field.column != "created_at"]
# One statement instead of a SELECT for the checksum and a savepoint around the INSERT: a
# duplicate (a replay, a retried POST, a concurrent writer) inserts nothing and returns no row.
# The conflict target is the partial unique index artifacts_run_type_checksum_uniq.
_INSERT_UNLESS_CHECKSUM_EXISTS = (
    f"INSERT INTO artifacts ({', '.join(str(field.column) for field in _INSERTED_FIELDS)}) "  # noqa: S608 - model columns
    f"VALUES ({', '.join(['%s'] * len(_INSERTED_FIELDS))}) "
    "ON CONFLICT (run_id, type, checksum) WHERE checksum IS NOT NULL DO NOTHING RETURNING created_at"
)


def _insert_unless_checksum_exists(artifact: Artifact) -> bool:
    """Insert ``artifact`` unless its run already has one of that type and checksum; whether it did."""
    values = [
        field.get_db_prep_save(getattr(artifact, field.attname), connection) for field in _INSERTED_FIELDS
    ]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_UNLESS_CHECKSUM_EXISTS, values)
        row = cursor.fetchone()
    if row is None:
        return False
    artifact.created_at = row[0]
    artifact._state.adding = False  # as after Model.save(): the instance is a stored row now
    return True


def validate_retrieval_trace(trace: dict[str, Any] | None) -> None:
    """``{query, docIds, similarities, persona, project}``; equal lengths; similarities in [-1, 1]."""
    if not isinstance(trace, dict):
        raise InvalidInput("retrieval.trace: the retrieval_trace column must hold the trace object")
    missing = [key for key in _TRACE_KEYS if key not in trace]
    if missing:
        raise InvalidInput(f"retrieval.trace: missing {', '.join(missing)}", details={"missing": missing})
    if not isinstance(trace["query"], str):
        raise InvalidInput("retrieval.trace: query must be a string")
    if not all(trace[key] is None or isinstance(trace[key], str) for key in ("persona", "project")):
        raise InvalidInput("retrieval.trace: persona and project must be strings or null")
    doc_ids, similarities = trace["docIds"], trace["similarities"]
    if not isinstance(doc_ids, list) or not all(isinstance(d, str) and d for d in doc_ids):
        raise InvalidInput("retrieval.trace: docIds must be a list of document ids (strings)")
    if not isinstance(similarities, list):
        raise InvalidInput("retrieval.trace: similarities must be a list of numbers")
    if len(doc_ids) > MAX_TRACE_DOCUMENTS:
        raise InvalidInput(f"retrieval.trace: at most {MAX_TRACE_DOCUMENTS} docIds")
    if len(doc_ids) != len(similarities):
        raise InvalidInput(
            f"retrieval.trace: docIds ({len(doc_ids)}) and similarities ({len(similarities)}) must have equal length"
        )
    for value in similarities:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise InvalidInput("retrieval.trace: similarities must be numbers")
        if not -1 <= value <= 1:
            raise InvalidInput(f"retrieval.trace: similarity {value} is outside [-1, 1]")


def validate_citations(
    *, run_id: str, persona: str | None, metadata: dict[str, Any] | None
) -> dict[str, Any]:
    """``{trace_id?, items: [{doc_id, path, reason}]}`` consistent with its trace; returns metadata
    with ``trace_id`` filled in when it was left out (latest trace of the same run and persona)."""
    if not isinstance(metadata, dict) or not isinstance(metadata.get("items"), list):
        raise InvalidInput("citations: metadata.items must be a list of {doc_id, path, reason}")
    items = metadata["items"]
    for item in items:
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) for k in ("doc_id", "path", "reason")
        ):
            raise InvalidInput("citations: every item needs doc_id, path and reason (strings)")
    trace = _citations_trace(run_id=run_id, persona=persona, trace_id=metadata.get("trace_id"))
    known = set((trace.retrieval_trace or {}).get("docIds") or [])
    stray = [item["doc_id"] for item in items if item["doc_id"] not in known]
    if stray:
        raise Conflict(
            f"citations: doc_id {stray[0]} is not among the docIds of retrieval.trace {trace.id}",
            details={"not_in_trace": stray, "trace_id": str(trace.id)},
        )
    uuids = [item["doc_id"] for item in items if is_uuid(item["doc_id"])]
    paths = {str(pk): path for pk, path in KbDocument.objects.filter(id__in=uuids).values_list("id", "path")}
    for item in items:
        expected = paths.get(str(uuid.UUID(item["doc_id"]))) if is_uuid(item["doc_id"]) else None
        if expected is not None and item["path"] != expected:
            raise Conflict(
                f"citations: path {item['path']!r} of doc_id {item['doc_id']} is not the knowledge base path {expected!r}",
                details={"doc_id": item["doc_id"], "expected_path": expected},
            )
    return {**metadata, "trace_id": str(trace.id)}


def _citations_trace(*, run_id: str, persona: str | None, trace_id: Any) -> Artifact:
    traces = Artifact.objects.filter(run_id=run_id, type=ArtifactType.RETRIEVAL_TRACE)
    if trace_id is not None:
        if not isinstance(trace_id, str) or not is_uuid(trace_id):
            raise InvalidInput("citations: metadata.trace_id must be the id (a UUID) of a retrieval.trace")
        trace = traces.filter(id=trace_id).first()
        if trace is None:
            raise Conflict(
                f"citations: trace_id {trace_id} is not a retrieval.trace artifact of run {run_id}"
            )
        return trace
    trace = traces.filter(persona=persona).order_by("-created_at", "-id").first()
    if trace is None:
        raise Conflict(
            f"citations: no trace_id given and run {run_id} has no retrieval.trace of persona {persona!r}"
        )
    return trace
