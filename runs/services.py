"""Run lifecycle, checkpoint and gate services: the only code that writes these tables.

Every interface (API, admin, webhook handlers, tasks, commands) calls these functions.

Lock order, everywhere: the run row first, then its gate requests. gate_open, gate_decide,
gate expiry and run_transition (which cancels open gates when a run ends) all follow it, so
they cannot deadlock each other.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone

from artifacts.models import Artifact
from myloware.lib.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    PreconditionFailed,
    PreconditionRequired,
)
from myloware.lib.ids import is_uuid
from myloware.lib.metrics import GATE_DECISIONS, RUN_TRANSITIONS, count_on_commit
from myloware.lib.signing import standard_webhook_signature
from myloware.lib.tasks import enqueue_on_commit
from runs import notifications
from runs.models import (
    ALLOWED_TRANSITIONS,
    TERMINAL_STATUSES,
    CallbackEndpoint,
    CallbackStatus,
    Gate,
    GateNotification,
    GateRequest,
    GateStatus,
    HitlApproval,
    HitlDecision,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    OrchestrationCheckpoint,
    Run,
    RunStatus,
    RunTransition,
    sources_of,
)
from runs.selectors import (
    GatePolicyValues,
    approver_emails,
    artifacts_content_hash,
    gate_approvers,
    gate_assignees,
    gate_ideas,
    gate_may_decide,
    gate_policy_for,
    run_creator,
)

logger = logging.getLogger(__name__)

CREATABLE_STATUSES = (RunStatus.PENDING, RunStatus.PENDING_WORKFLOW)
# Payload may still change while the orchestrator has not started the run.
PAYLOAD_EDITABLE_STATUSES = (RunStatus.PENDING_WORKFLOW, RunStatus.PENDING)
PROJECT_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$")
EXPIRY_ACTOR = "system:gate_expiry"
EXPIRY_REASON = "approval_expired"


def new_run_id() -> str:
    return f"run_{uuid.uuid4().hex[:16]}"


# --- runs ------------------------------------------------------------------------------------


def run_get(*, run_id: str, for_update: bool = False) -> Run:
    """The run; ``for_update`` reads it under its row lock (held until the transaction ends)."""
    runs = Run.objects.select_for_update() if for_update else Run.objects
    run = runs.filter(run_id=run_id).first()
    if run is None:
        raise NotFound(f"Run {run_id!r} does not exist")
    return run


def run_create(
    *,
    project: str,
    payload: dict[str, Any] | None = None,
    run_id: str | None = None,
    status: str = RunStatus.PENDING,
    actor: str = "system",
) -> Run:
    """Create a run in ``pending`` or ``pending_workflow`` (idempotent, see run_create_or_get)."""
    run, _ = run_create_or_get(project=project, payload=payload, run_id=run_id, status=status, actor=actor)
    return run


def run_create_or_get(
    *,
    project: str,
    payload: dict[str, Any] | None = None,
    run_id: str | None = None,
    status: str = RunStatus.PENDING,
    actor: str = "system",
) -> tuple[Run, bool]:
    """Create a run; returns ``(run, created)``.

    The same ``run_id`` with the same project, payload and initial status again returns the
    existing run (a retried POST); with a different body it is a 409. The creation is the first
    row of the run's transition log (its actor is the run's creator).
    """
    payload = {} if payload is None else payload
    _validate_new_run(project=project, payload=payload, run_id=run_id, status=status)
    run_id = run_id or new_run_id()
    try:
        with transaction.atomic():
            run = Run.objects.create(
                run_id=run_id, project=project, payload=payload, status=status, result={}
            )
            RunTransition.objects.create(
                run=run, from_status="", to_status=status, actor=actor, reason="created"
            )
            count_on_commit(RUN_TRANSITIONS.labels(to=status).inc)
    except IntegrityError:
        # Someone created this run_id first (a retry, or a concurrent duplicate POST).
        existing = run_get(run_id=run_id)
        first = RunTransition.objects.filter(run_id=run_id, from_status="").first()
        initial_status = first.to_status if first else existing.status
        if (existing.project, existing.payload, initial_status) != (project, payload, status):
            raise Conflict(
                f"Run {run_id} already exists with a different body",
                details={"run_id": run_id, "project": existing.project, "status": existing.status},
            ) from None
        return existing, False
    run.refresh_from_db()
    return run, True


def _validate_new_run(*, project: str, payload: Any, run_id: str | None, status: str) -> None:
    if not isinstance(project, str) or not PROJECT_PATTERN.fullmatch(project):
        raise InvalidInput("project must be a slug (letters, digits, '_', '-', '.'; at most 100)")
    if not isinstance(payload, dict):
        raise InvalidInput("payload must be a JSON object")
    if run_id is not None and (not isinstance(run_id, str) or not RUN_ID_PATTERN.fullmatch(run_id)):
        raise InvalidInput("run_id must be 1-200 characters: letters, digits, '_', '-', '.', ':'")
    if status not in CREATABLE_STATUSES:
        raise InvalidInput(
            f"A run is created as pending or pending_workflow, not {status!r}",
            details={"allowed": list(CREATABLE_STATUSES)},
        )


# One statement: lock the row, remember its status, and update only from an allowed source.
_TRANSITION_SQL = """
UPDATE runs SET status = %s, updated_at = now()
FROM (SELECT run_id, status FROM runs WHERE run_id = %s FOR UPDATE) AS old
WHERE runs.run_id = old.run_id AND old.status = ANY(%s)
RETURNING old.status
"""


def run_transition(*, run_id: str, to: str, actor: str, reason: str = "") -> Run:
    """Move a run to ``to`` with one conditional UPDATE; refuse (409) when not allowed now.

    ``UPDATE runs ... WHERE status IN (sources of to)``: two writers racing cannot both win,
    and a terminal status never changes (no source leads out of it). The transition is appended
    to the run's log in the same transaction; a run that ends closes its open gates.
    """
    if to not in ALLOWED_TRANSITIONS:
        raise Conflict(f"Unknown status {to!r}", details={"allowed_statuses": sorted(ALLOWED_TRANSITIONS)})
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_TRANSITION_SQL, [to, run_id, sources_of(to)])
            row = cursor.fetchone()
        if row is None:
            run = run_get(run_id=run_id)
            raise Conflict(
                f"Run {run_id} cannot move from {run.status} to {to}",
                details={"current_status": run.status, "allowed": run.allowed_next},
            )
        RunTransition.objects.create(
            run_id=run_id, from_status=row[0], to_status=to, actor=actor, reason=reason
        )
        count_on_commit(RUN_TRANSITIONS.labels(to=to).inc)
        if to in TERMINAL_STATUSES:
            for gate_request in GateRequest.objects.select_for_update().open().filter(run_id=run_id):
                _gate_close(
                    gate_request, GateStatus.CANCELLED, actor, f"run {to}: {reason}".strip(": "), notify=False
                )
    return run_get(run_id=run_id)


# One statement: take every committed row (rows of transactions still running are not visible and
# stay for the next fold) and put back one row per (project, status) with their sum.
_FOLD_SQL = """
WITH taken AS (DELETE FROM run_status_counts RETURNING project, status, runs)
INSERT INTO run_status_counts (project, status, runs)
SELECT project, status, sum(runs) FROM taken GROUP BY project, status HAVING sum(runs) <> 0
"""


def run_status_counts_fold() -> int:
    """Fold the +1/-1 rows the triggers on ``runs`` appended into one row per (project, status)
    (schedule, every minute: the rows a scrape sums stay few). Returns the rows left."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_FOLD_SQL)
        return cursor.rowcount


def run_merge_result(
    *, run_id: str, patch: dict[str, Any], actor: str = "system", locked: Run | None = None
) -> Run:
    """Deep-merge ``patch`` into ``run.result`` under a row lock (no lost updates)."""
    return run_update_result(
        run_id=run_id, mutate=lambda result: deep_merge(result, patch), actor=actor, locked=locked
    )


def run_update_result(
    *,
    run_id: str,
    mutate: Callable[[dict[str, Any]], dict[str, Any]],
    actor: str = "system",
    locked: Run | None = None,
) -> Run:
    """Apply ``mutate`` to a copy of ``run.result`` while holding the run's row lock.

    For changes a merge can't express (e.g. marking ``result.videos[i]``): the lock makes the
    read-modify-write atomic, so concurrent webhook handlers never lose each other's updates.
    ``locked`` is the run as the caller read it with ``run_get(for_update=True)`` in the current
    transaction (webhook handlers): it is updated in place with one statement, without reading
    it again and without a savepoint of its own.
    """
    if locked is not None:
        return _store_result(locked, mutate)
    with transaction.atomic():
        return _store_result(run_get(run_id=run_id, for_update=True), mutate)


def _store_result(run: Run, mutate: Callable[[dict[str, Any]], dict[str, Any]]) -> Run:
    run.result = mutate(copy.deepcopy(run.result or {}))
    Run.objects.filter(run_id=run.run_id).update(result=run.result, updated_at=Now())
    return run


def run_patch(
    *,
    run_id: str,
    actor: str,
    result: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
    held: bool | None = None,
) -> Run:
    """JSON-merge ``result`` (any time) and ``payload`` (only before the run started), and place
    or release a legal hold (``held``), under one lock."""
    for name, value in (("result", result), ("payload", payload)):
        if value is not None and not isinstance(value, dict):
            raise InvalidInput(f"{name} must be a JSON object (merged into the stored one)")
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(run_id=run_id).first()
        if run is None:
            raise NotFound(f"Run {run_id!r} does not exist")
        if payload is not None and run.status not in PAYLOAD_EDITABLE_STATUSES:
            raise Conflict(
                f"The payload of run {run_id} can no longer change: it is {run.status}",
                details={"current_status": run.status},
            )
        if result is not None:
            run.result = deep_merge(run.result or {}, result)
        if payload is not None:
            run.payload = deep_merge(run.payload or {}, payload)
        if held is not None:
            run_hold(run_id=run_id, held=held, actor=actor)
        Run.objects.filter(run_id=run_id).update(result=run.result, payload=run.payload, updated_at=Now())
    return run_get(run_id=run_id)


def run_hold(*, run_id: str, held: bool, actor: str) -> Run:
    """Place (``held``) or release a legal hold: retention never removes a held run, nor its
    events and artifacts. Leaves ``updated_at`` alone (retention counts a run's age from it)."""
    if not Run.objects.filter(run_id=run_id).update(held=held):
        raise NotFound(f"Run {run_id!r} does not exist")
    logger.info("legal hold on run %s %s by %s", run_id, "placed" if held else "released", actor)
    return run_get(run_id=run_id)


def runs_remove(*, run_ids: list[str]) -> int:
    """Delete these runs if still ended and not held (retention), with everything under them
    (transitions, gates, decisions, notifications, checkpoints, artifacts, publications; the
    LangGraph threads through the trigger on runs); logs the rows per table. The runs deleted."""
    _, by_model = Run.objects.filter(pk__in=run_ids, status__in=TERMINAL_STATUSES, held=False).delete()
    tables = {apps.get_model(label)._meta.db_table: count for label, count in by_model.items() if count}
    if tables:
        logger.info(
            "retention removed %s", ", ".join(f"{count} {table}" for table, count in sorted(tables.items()))
        )
    return tables.get(Run._meta.db_table, 0)


def deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """RFC 7386-style merge: nested dicts merge, ``None`` deletes a key, anything else replaces."""
    merged = dict(base)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


# --- checkpoints -----------------------------------------------------------------------------


def checkpoint_get(*, run_id: str) -> OrchestrationCheckpoint:
    """The run's checkpoint; before the first save, version 0 with an empty state (not stored).

    Every run has a checkpoint resource, so a client reads it, and writes with its ETag, the same
    way from the first save on (``If-Match: "0"`` creates it, as does omitting If-Match).
    """
    checkpoint = OrchestrationCheckpoint.objects.filter(run_id=run_id).first()
    if checkpoint is None:
        unsaved = OrchestrationCheckpoint(run=run_get(run_id=run_id), state={}, version=0)
        unsaved.updated_at = None  # type: ignore[assignment]  # never written: no write time
        return unsaved
    return checkpoint


def checkpoint_save(
    *, run_id: str, state: dict[str, Any], actor: str, expected_version: int | None
) -> OrchestrationCheckpoint:
    """Write the run's latest orchestrator state with optimistic concurrency.

    ``expected_version`` is the version the writer last read (the API's ``If-Match``), or None
    (or 0, the version a run reads before its first save) to create the first checkpoint. A stale
    version is a 412 (PreconditionFailed); None once a checkpoint exists is a 428
    (PreconditionRequired): two writers can never silently overwrite each other.
    """
    if not isinstance(state, dict):
        raise InvalidInput("state must be a JSON object")
    size = len(json.dumps(state, separators=(",", ":")).encode())
    if size > settings.CHECKPOINT_MAX_BYTES:
        raise PayloadTooLarge(
            f"Checkpoint state is {size} bytes; the limit is {settings.CHECKPOINT_MAX_BYTES}",
            details={"limit_bytes": settings.CHECKPOINT_MAX_BYTES, "size_bytes": size},
        )
    run_get(run_id=run_id)
    if expected_version is None or expected_version == 0:
        try:
            with transaction.atomic():
                return OrchestrationCheckpoint.objects.create(run_id=run_id, state=state, version=1)
        except IntegrityError:
            existing = OrchestrationCheckpoint.objects.get(run_id=run_id)
            raise _stale(run_id, existing.version, expected_version) from None
    updated = OrchestrationCheckpoint.objects.filter(run_id=run_id, version=expected_version).update(
        state=state, version=expected_version + 1, updated_at=Now()
    )
    current = OrchestrationCheckpoint.objects.filter(run_id=run_id).first()
    if not updated:
        raise _stale(run_id, current.version if current else None, expected_version)
    # The UPDATE above just matched this run's row; it is deleted only together with the run.
    return cast(OrchestrationCheckpoint, current)


def _stale(run_id: str, current: int | None, expected: int | None) -> DomainError:
    details = {"current_version": current, "expected_version": expected}
    if expected is None:
        return PreconditionRequired(
            f'Run {run_id} already has checkpoint version {current}; send If-Match: "{current}"',
            details=details,
        )
    if current is None:
        message = f"Run {run_id} has no checkpoint yet; create it without If-Match"
    else:
        message = f"Checkpoint of run {run_id} is at version {current}, not {expected}: reload and retry"
    return PreconditionFailed(message, details=details)


# --- gates -----------------------------------------------------------------------------------

_GATE_DECIDED_HANDLERS: list[str] = []


def register_gate_decided_handler(dotted_path: str) -> None:
    """Enqueue the django-q2 task ``dotted_path(gate_request_pk)`` whenever a gate closes.

    Call it from an ``AppConfig.ready()``. The task runs after the commit that closed the gate
    (approved, rejected, expired or cancelled) and must read the gate request's status itself;
    like every task it may run more than once. ``settings.GATE_DECIDED_TASKS`` adds more.
    """
    if dotted_path not in _GATE_DECIDED_HANDLERS:
        _GATE_DECIDED_HANDLERS.append(dotted_path)


def gate_decided_handlers() -> list[str]:
    return list(dict.fromkeys([*settings.GATE_DECIDED_TASKS, *_GATE_DECIDED_HANDLERS]))


@dataclass(frozen=True)
class GateDecisionResult:
    gate_request: GateRequest
    approval: HitlApproval | None  # the row appended, or the stored one this call replays
    recorded: bool  # False when the call replayed a stored outcome (idempotency)


def gate_open(
    *,
    run_id: str,
    gate: str,
    actor: str,
    summary: str = "",
    artifact_ids: list[str] | None = None,
) -> tuple[GateRequest, bool]:
    """Open ``gate`` on a run; returns ``(gate_request, created)``.

    The run waits: ``running`` → ``awaiting_approval`` for ideate/prepublish, while a workflow
    gate keeps the run in ``pending_workflow``. Opening the gate that is already open returns
    it. ``artifact_ids`` (default: every artifact of the run) are the content under review;
    their hash binds later approvals. A gate disabled by policy is approved at once.
    """
    if gate not in Gate.values:
        raise InvalidInput(f"Unknown gate {gate!r}", details={"gates": list(Gate.values)})
    if artifact_ids is not None and (
        not isinstance(artifact_ids, list) or not all(isinstance(i, str) for i in artifact_ids)
    ):
        raise InvalidInput("artifact_ids must be a list of artifact ids")
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(run_id=run_id).first()
        if run is None:
            raise NotFound(f"Run {run_id!r} does not exist")
        existing = GateRequest.objects.open().filter(run=run, gate=gate).first()
        if existing is not None:
            return existing, False
        _check_can_open(run, gate)
        ids = _artifacts_under_review(run, artifact_ids)
        policy = gate_policy_for(project=run.project, gate=gate)
        now = timezone.now()
        gate_request = GateRequest.objects.create(
            run=run,
            gate=gate,
            summary=summary or "",
            artifact_ids=ids,
            content_hash=artifacts_content_hash(ids),
            opened_by=actor,
            opened_at=now,
            deadline_at=now + timedelta(hours=policy.deadline_hours),
            required_approvals=policy.required_approvals,
            allow_self_approval=policy.allow_self_approval,
            approve_to=policy.approve_to,
            approver_user_ids=policy.approver_user_ids,
            approver_group_ids=policy.approver_group_ids,
        )
        if not policy.enabled:
            # Nothing to wait for: a workflow run is accepted, any other run keeps running.
            _gate_close(gate_request, GateStatus.APPROVED, "system:gate_disabled", "gate disabled by policy")
            if gate == Gate.WORKFLOW:
                _move_run_on_approval(gate_request, "system:gate_disabled")
            return gate_request, True
        _notifications_plan(gate_request, policy)
        if gate != Gate.WORKFLOW and run.status == RunStatus.RUNNING:
            run_transition(
                run_id=run_id, to=RunStatus.AWAITING_APPROVAL, actor=actor, reason=f"{gate} gate opened"
            )
    return gate_request, True


def _check_can_open(run: Run, gate: str) -> None:
    other = GateRequest.objects.open().filter(run=run).first()
    if other is not None:
        raise Conflict(
            f"Run {run.run_id} already waits at its {other.gate} gate", details={"open_gate": other.gate}
        )
    expected = (
        [RunStatus.PENDING_WORKFLOW]
        if gate == Gate.WORKFLOW
        else [RunStatus.RUNNING, RunStatus.AWAITING_APPROVAL]
    )
    if run.status not in expected:
        raise Conflict(
            f"The {gate} gate opens on a run that is {' or '.join(expected)}; run {run.run_id} is {run.status}",
            details={"current_status": run.status},
        )


def _artifacts_under_review(run: Run, artifact_ids: list[str] | None) -> list[str]:
    if artifact_ids is None:
        return [
            str(i)
            for i in Artifact.objects.filter(run=run)
            .order_by("created_at", "id")
            .values_list("id", flat=True)
        ]
    wanted = list(dict.fromkeys(str(uuid.UUID(i)) if is_uuid(i) else i for i in artifact_ids))
    valid = [i for i in wanted if is_uuid(i)]
    found = {str(i) for i in Artifact.objects.filter(run=run, id__in=valid).values_list("id", flat=True)}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise NotFound(
            f"artifact_ids are not artifacts of run {run.run_id}",
            code="unknown_artifacts",
            details={"unknown": missing},
        )
    return wanted


def gate_decide(
    *,
    run_id: str,
    gate: str,
    decision: str,
    actor: str,
    comment: str = "",
    approver_ip: str | None = None,
    user_agent: str = "",
    idempotency_key: str | None = None,
    content_hash: str | None = None,
    chosen_idea_id: str | None = None,
) -> GateDecisionResult:
    """Approve or reject the latest ``gate`` of a run: the one decision service (admin and API).

    Under the run's and the gate's row locks: the same ``idempotency_key`` (or the same actor
    repeating the same decision, e.g. a double click) returns the stored outcome; a decision on
    a closed gate is a 409 naming who decided; a rejection needs a comment and vetoes at once;
    approvals from distinct approvers count until the gate's quorum; the run's creator may not
    approve when the policy forbids it; an approval is refused (409 ``stale_content``) when the
    artifacts under review changed since the gate opened, unless ``content_hash`` shows the
    approver reviewed the current content. An approval may choose, among the ideas under review,
    the one the run goes ahead with (``chosen_idea_id``; by default the first one). Every recorded
    decision appends a hitl_approvals row.
    """
    if decision not in HitlDecision.values:
        raise InvalidInput(
            "decision must be 'approve' or 'reject'", details={"allowed": list(HitlDecision.values)}
        )
    comment = (comment or "").strip()
    if decision == HitlDecision.REJECT and not comment:
        raise InvalidInput("A rejection needs a comment saying why")
    if decision == HitlDecision.REJECT and chosen_idea_id:
        raise InvalidInput("Only an approval chooses an idea")
    idempotency_key = (idempotency_key or "").strip()[:200] or None
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(run_id=run_id).first()
        if run is None:
            raise NotFound(f"Run {run_id!r} does not exist")
        gate_request = (
            GateRequest.objects.select_for_update()
            .filter(run=run, gate=gate)
            .order_by("-opened_at", "-id")
            .first()
        )
        if gate_request is None:
            raise NotFound(f"No {gate} gate was opened on run {run_id}", code="no_gate")
        replay = _stored_outcome(gate_request, actor, decision, idempotency_key)
        if replay is not None:
            return GateDecisionResult(gate_request, replay, False)
        if not gate_request.is_open:
            raise _gate_closed(gate_request)
        if not gate_may_decide(gate_request=gate_request, actor=actor):
            raise PermissionDenied(
                f"{actor} may not decide the {gate} gate of run {run_id}: it is assigned to "
                f"{', '.join(gate_assignees(gate_request=gate_request))}",
                code="not_assigned",
            )
        if decision == HitlDecision.APPROVE:
            _check_may_approve(gate_request, actor, content_hash)
            _choose_idea(gate_request, chosen_idea_id)
        approval = HitlApproval.objects.create(
            run=run,
            gate=gate,
            decision=decision,
            approver=actor,
            approver_ip=approver_ip or None,
            comment=comment,
            gate_request=gate_request,
            idempotency_key=idempotency_key,
            metadata={
                "user_agent": (user_agent or "")[:500],
                "content_hash": gate_request.content_hash,
                "gate_request_id": gate_request.pk,
                "idempotency_key": idempotency_key,
                "chosen_idea_id": chosen_idea_id,
            },
        )
        if decision == HitlDecision.REJECT:
            _gate_close(gate_request, GateStatus.REJECTED, actor, comment)
            run_transition(
                run_id=run_id, to=RunStatus.REJECTED, actor=actor, reason=f"{gate} gate rejected: {comment}"
            )
        elif len(gate_approvers(gate_request=gate_request)) >= gate_request.required_approvals:
            _gate_close(gate_request, GateStatus.APPROVED, actor, comment)
            _move_run_on_approval(gate_request, actor)
    gate_request.refresh_from_db()
    return GateDecisionResult(gate_request, approval, True)


def _stored_outcome(
    gate_request: GateRequest, actor: str, decision: str, idempotency_key: str | None
) -> HitlApproval | None:
    if idempotency_key:
        prior = gate_request.approvals.filter(idempotency_key=idempotency_key).first()
        if prior is not None:
            return prior
    # The same person repeating the same decision (double click, retry without a key).
    mine = gate_request.approvals.filter(approver=actor, decision=decision).order_by("-id").first()
    if mine is None:
        return None
    if decision == HitlDecision.APPROVE and mine.metadata.get("content_hash") != gate_request.content_hash:
        return None  # they approved older content; this is a re-review
    return mine


def _gate_closed(gate_request: GateRequest) -> Conflict:
    who = gate_request.decided_by or "nobody"
    when = gate_request.decided_at.strftime("%Y-%m-%d %H:%M:%S UTC") if gate_request.decided_at else "?"
    return Conflict(
        f"The {gate_request.gate} gate of run {gate_request.run_id} is already {gate_request.status} "
        f"(by {who} at {when})",
        code="gate_closed",
        details={
            "gate_status": gate_request.status,
            "decided_by": gate_request.decided_by,
            "decided_at": gate_request.decided_at.isoformat() if gate_request.decided_at else None,
        },
    )


def _check_may_approve(gate_request: GateRequest, actor: str, content_hash: str | None) -> None:
    if not gate_request.allow_self_approval and run_creator(run_id=gate_request.run_id) == actor:
        raise PermissionDenied(
            f"{actor} created run {gate_request.run_id} and may not approve its own run at this gate",
            code="self_approval",
        )
    current = artifacts_content_hash(gate_request.artifact_ids)
    if current == gate_request.content_hash:
        return
    if content_hash != current:
        raise Conflict(
            "The artifacts under review changed since the gate opened; review them again before approving",
            code="stale_content",
            details={"opened_content_hash": gate_request.content_hash, "current_content_hash": current},
        )
    # The approver saw the current content: it becomes the content under review, and earlier
    # approvals (of the old content) no longer count toward the quorum.
    gate_request.content_hash = current
    GateRequest.objects.filter(pk=gate_request.pk).update(content_hash=current)


def _choose_idea(gate_request: GateRequest, chosen_idea_id: str | None) -> None:
    """Record the idea an approval chooses; approvers of one gate choose the same idea."""
    if not chosen_idea_id:
        return
    ideas = gate_ideas(gate_request=gate_request)
    if chosen_idea_id not in ideas:
        raise InvalidInput(
            f"{chosen_idea_id} is not an idea under review at this gate",
            code="unknown_idea",
            details={"ideas": ideas},
        )
    earlier = gate_request.chosen_idea_id
    if earlier is not None and str(earlier) != chosen_idea_id:
        raise Conflict(
            f"An earlier approval of this gate chose idea {earlier}: approve that idea, or reject",
            code="other_idea_chosen",
            details={"chosen_idea_id": str(earlier)},
        )
    gate_request.chosen_idea_id = uuid.UUID(chosen_idea_id)
    GateRequest.objects.filter(pk=gate_request.pk).update(chosen_idea_id=chosen_idea_id)


def _move_run_on_approval(gate_request: GateRequest, actor: str) -> None:
    to = RunStatus.PENDING if gate_request.gate == Gate.WORKFLOW else gate_request.approve_to
    run_transition(
        run_id=gate_request.run_id, to=to, actor=actor, reason=f"{gate_request.gate} gate approved"
    )


def _gate_close(
    gate_request: GateRequest, status: str, actor: str, comment: str, *, notify: bool = True
) -> None:
    """Close a gate (caller holds its lock); on commit the orchestrator, the hooks and the people
    told about the gate hear of it."""
    now = timezone.now()
    gate_request.status = status
    gate_request.decided_at = now
    gate_request.decided_by = actor
    gate_request.decision_comment = comment
    if status == GateStatus.APPROVED and gate_request.chosen_idea_id is None:
        # Nobody chose (one idea, a bulk approval, a gate disabled by policy): the first idea.
        gate_request.chosen_idea_id = next(iter(gate_ideas(gate_request=gate_request)), None)
    gate_request.callback_status = _initial_callback_status() if notify else CallbackStatus.NONE
    gate_request.callback_next_at = now if gate_request.callback_status == CallbackStatus.PENDING else None
    gate_request.save(
        update_fields=[
            "status",
            "decided_at",
            "decided_by",
            "decision_comment",
            "chosen_idea_id",
            "callback_status",
            "callback_next_at",
        ]
    )
    count_on_commit(GATE_DECISIONS.labels(gate=gate_request.gate, decision=status).inc)
    pk = gate_request.pk
    if gate_request.callback_status == CallbackStatus.PENDING:
        enqueue_on_commit("runs.tasks.gate_callback_deliver", pk)
    for handler in gate_decided_handlers():
        enqueue_on_commit(handler, pk)
    _notifications_close(gate_request, now)


def _initial_callback_status() -> str:
    url = settings.ORCHESTRATOR_CALLBACK_URL
    if not url:
        return CallbackStatus.NOT_CONFIGURED
    if CallbackEndpoint.objects.filter(url=url, disabled_at__isnull=False).exists():
        return CallbackStatus.DISABLED
    return CallbackStatus.PENDING


def gate_expire_due(*, now: datetime | None = None, actor: str = EXPIRY_ACTOR, batch: int = 100) -> int:
    """Expire open gates past their deadline: the run fails with reason ``approval_expired``.

    Each gate is handled in its own transaction under the run's and the gate's locks; a gate
    decided meanwhile is skipped. Returns how many gates expired.
    """
    now = now or timezone.now()
    expired = 0
    due = list(
        GateRequest.objects.open()
        .filter(deadline_at__lte=now)
        .order_by("deadline_at")
        .values_list("pk", "run_id")[:batch]
    )
    for pk, run_id in due:
        with transaction.atomic():
            Run.objects.select_for_update().filter(run_id=run_id).first()
            gate_request = (
                GateRequest.objects.select_for_update().filter(pk=pk, status=GateStatus.OPEN).first()
            )
            if gate_request is None or gate_request.deadline_at > now:
                continue
            _gate_close(gate_request, GateStatus.EXPIRED, actor, EXPIRY_REASON)
            try:
                run_transition(run_id=run_id, to=RunStatus.FAILED, actor=actor, reason=EXPIRY_REASON)
            except Conflict as exc:
                logger.warning("gate %s expired but run %s did not fail: %s", pk, run_id, exc.message)
            expired += 1
    return expired


def callback_endpoint_enable(*, url: str, actor: str) -> None:
    """Re-enable an orchestrator URL that a 410 disabled."""
    CallbackEndpoint.objects.filter(url=url).update(
        disabled_at=None, disabled_reason=f"re-enabled by {actor}"
    )


# --- decision callbacks to the orchestrator -----------------------------------------------------

CALLBACK_FIRST_BACKOFF_SECONDS = 5
# A claimed delivery is leased this long beyond the HTTP timeout; a worker that dies mid-send
# leaves a lease that simply runs out, and the sweeper hands the callback to another worker.
_CALLBACK_LEASE_MARGIN_SECONDS = 30


def standard_webhook_headers(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Headers of a Standard-Webhooks sender: HMAC-SHA256 over ``id.timestamp.body``, base64."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_webhook_signature(
            secret, msg_id=msg_id, timestamp=timestamp, body=body
        ),
        "content-type": "application/json",
    }


def callback_backoff(attempts: int) -> timedelta:
    """5 s, 20 s, 80 s, ... ×4 per attempt, capped by ORCHESTRATOR_CALLBACK_MAX_BACKOFF."""
    seconds = CALLBACK_FIRST_BACKOFF_SECONDS * 4 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.ORCHESTRATOR_CALLBACK_MAX_BACKOFF))


def gate_callback_body(gate_request: GateRequest) -> dict[str, Any]:
    run = gate_request.run
    return {
        "type": f"gate.{gate_request.status}",
        "timestamp": (gate_request.decided_at or timezone.now()).isoformat(),
        "data": {
            "run_id": run.run_id,
            "project": run.project,
            "run_status": run.status,
            "gate": gate_request.gate,
            "gate_request_id": gate_request.pk,
            "status": gate_request.status,
            "decided_by": gate_request.decided_by,
            "decided_at": gate_request.decided_at.isoformat() if gate_request.decided_at else None,
            "comment": gate_request.decision_comment,
            "content_hash": gate_request.content_hash,
            "chosen_idea_id": str(gate_request.chosen_idea_id) if gate_request.chosen_idea_id else None,
        },
    }


def gate_callback_deliver(*, gate_request_id: int, now: datetime | None = None) -> str:
    """Deliver one gate's signed decision callback; returns the callback status afterwards.

    Starts with a conditional claim (pending and due → leased), so a task that runs twice
    sends once. A 2xx is delivered; a 410 disables the endpoint (Standard-Webhooks etiquette);
    anything else (or a network error) schedules the next attempt with exponential backoff,
    picked up by the ``gate_callbacks_retry_due`` schedule — until a 2xx, however long it takes.
    """
    import httpx

    now = now or timezone.now()
    url = settings.ORCHESTRATOR_CALLBACK_URL
    lease = timedelta(seconds=settings.ORCHESTRATOR_CALLBACK_TIMEOUT + _CALLBACK_LEASE_MARGIN_SECONDS)
    claimed = (
        GateRequest.objects.filter(pk=gate_request_id, callback_status=CallbackStatus.PENDING)
        .filter(_due(now))
        .update(callback_next_at=now + lease)
    )
    if not claimed:
        row = GateRequest.objects.filter(pk=gate_request_id).values_list("callback_status", flat=True).first()
        return row or "missing"
    gate_request = GateRequest.objects.select_related("run").get(pk=gate_request_id)
    if not url:
        return _callback_finish(gate_request_id, CallbackStatus.NOT_CONFIGURED, "")
    if CallbackEndpoint.objects.filter(url=url, disabled_at__isnull=False).exists():
        return _callback_finish(gate_request_id, CallbackStatus.DISABLED, "endpoint disabled")
    body = json.dumps(gate_callback_body(gate_request), separators=(",", ":")).encode()
    # The id stays the same across retries so the receiver can deduplicate.
    headers = standard_webhook_headers(
        secret=settings.ORCHESTRATOR_CALLBACK_SECRET,
        msg_id=f"msg_gate_{gate_request.pk}_{gate_request.status}",
        timestamp=int(timezone.now().timestamp()),
        body=body,
    )
    attempts = gate_request.callback_attempts + 1
    try:
        response = httpx.post(
            url, content=body, headers=headers, timeout=settings.ORCHESTRATOR_CALLBACK_TIMEOUT
        )
    except httpx.HTTPError as exc:
        return _callback_retry(gate_request_id, attempts, now, f"{type(exc).__name__}: {exc}")
    if 200 <= response.status_code < 300:
        return _callback_finish(gate_request_id, CallbackStatus.DELIVERED, "", attempts=attempts, now=now)
    if response.status_code == 410:
        CallbackEndpoint.objects.update_or_create(
            url=url,
            defaults={"disabled_at": now, "disabled_reason": f"410 for gate request {gate_request_id}"},
        )
        return _callback_finish(
            gate_request_id, CallbackStatus.DISABLED, "410 Gone: endpoint disabled", attempts=attempts
        )
    return _callback_retry(gate_request_id, attempts, now, f"HTTP {response.status_code}")


def _due(now: datetime) -> Q:
    return Q(callback_next_at__isnull=True) | Q(callback_next_at__lte=now)


def _callback_finish(
    pk: int, status: str, error: str, *, attempts: int | None = None, now: datetime | None = None
) -> str:
    fields: dict[str, Any] = {
        "callback_status": status,
        "callback_last_error": error,
        "callback_next_at": None,
    }
    if attempts is not None:
        fields["callback_attempts"] = attempts
    if status == CallbackStatus.DELIVERED:
        fields["callback_delivered_at"] = now or timezone.now()
    GateRequest.objects.filter(pk=pk).update(**fields)
    return status


def _callback_retry(pk: int, attempts: int, now: datetime, error: str) -> str:
    logger.warning("gate callback %s failed (attempt %s): %s", pk, attempts, error)
    GateRequest.objects.filter(pk=pk).update(
        callback_attempts=attempts,
        callback_last_error=error[:500],
        callback_next_at=now + callback_backoff(attempts),
    )
    return CallbackStatus.PENDING


def gate_callbacks_due(*, now: datetime | None = None, batch: int = 100) -> list[int]:
    """Primary keys of gate callbacks whose next attempt is due."""
    now = now or timezone.now()
    qs = GateRequest.objects.filter(callback_status=CallbackStatus.PENDING).filter(_due(now))
    return list(qs.order_by("callback_next_at").values_list("pk", flat=True)[:batch])


# --- gate notifications: the approvers are told ------------------------------------------------

NOTIFY_FIRST_BACKOFF_SECONDS = 30
NOTIFY_MAX_BACKOFF_SECONDS = 3600
# A claimed message is leased this long beyond the channel's timeout: a worker that dies while
# sending leaves a lease that runs out, and the next schedule sends the message again.
_NOTIFY_LEASE_MARGIN_SECONDS = 30

Target = tuple[str, str]  # (channel, target)


def _notifications_plan(gate_request: GateRequest, policy: GatePolicyValues) -> None:
    """Plan the messages of a gate that opened (in its transaction; sent after the commit).

    The approvers (the policy's e-mails and the assigned approvers' addresses, and the chat
    webhooks) are told now and reminded at GATE_REMIND_AT of the time to the deadline; the
    escalation contacts (and the chat webhooks) are told at GATE_ESCALATE_AT.
    """
    emails = {
        *policy.notify_emails,
        *approver_emails(user_ids=policy.approver_user_ids, group_ids=policy.approver_group_ids),
    }
    chats = {(NotificationChannel.CHAT.value, url) for url in policy.notify_webhook_urls}
    approvers = {(NotificationChannel.EMAIL.value, email) for email in emails} | chats
    escalation = {(NotificationChannel.EMAIL.value, email) for email in policy.escalate_emails} | chats
    opened, span = gate_request.opened_at, gate_request.deadline_at - gate_request.opened_at
    plan: list[tuple[str, set[Target], datetime]] = [(NotificationKind.OPENED, approvers, opened)]
    if settings.GATE_REMIND_AT:
        plan.append((NotificationKind.REMINDER, approvers, opened + span * settings.GATE_REMIND_AT))
    if settings.GATE_ESCALATE_AT:
        plan.append((NotificationKind.ESCALATION, escalation, opened + span * settings.GATE_ESCALATE_AT))
    rows = [
        GateNotification(
            gate_request=gate_request, kind=kind, channel=channel, target=target, next_attempt_at=due
        )
        for kind, targets, due in plan
        for channel, target in sorted(targets)
    ]
    if rows:
        GateNotification.objects.bulk_create(rows)
        enqueue_on_commit("runs.tasks.gate_notifications_send", gate_request.pk)


def _notifications_close(gate_request: GateRequest, now: datetime) -> None:
    """A gate closed (caller holds its lock): what was still to come is skipped, and everyone
    the opening was for — and the escalation contacts, once escalated to — is told the outcome."""
    notes = GateNotification.objects.filter(gate_request=gate_request)
    notes.filter(status=NotificationStatus.PENDING).update(
        status=NotificationStatus.SKIPPED, next_attempt_at=None
    )
    told = notes.filter(
        Q(kind=NotificationKind.OPENED) | Q(kind=NotificationKind.ESCALATION, status=NotificationStatus.SENT)
    ).values_list("channel", "target")
    rows = [
        GateNotification(
            gate_request=gate_request,
            kind=NotificationKind.CLOSED,
            channel=channel,
            target=target,
            next_attempt_at=now,
        )
        for channel, target in sorted(set(told))
    ]
    if rows:
        GateNotification.objects.bulk_create(rows, ignore_conflicts=True)
        enqueue_on_commit("runs.tasks.gate_notifications_send", gate_request.pk)


def notify_backoff(attempts: int) -> timedelta:
    """30 s, 60 s, 120 s, ... doubling per attempt, at most an hour."""
    seconds = NOTIFY_FIRST_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, NOTIFY_MAX_BACKOFF_SECONDS))


def gate_notifications_send_due(
    *, now: datetime | None = None, gate_request_id: int | None = None, budget_seconds: float | None = None
) -> int:
    """Send the due gate notifications (of one gate, or all), one claim at a time; returns how
    many went out. Stops when none is due or after ``budget_seconds`` (default: half the task
    timeout), leaving the rest to the every-minute schedule. Never inside a gate's transaction:
    it runs in the tasks queued on commit and in the schedule.
    """
    budget = settings.Q_CLUSTER["timeout"] / 2 if budget_seconds is None else budget_seconds
    stop_at = time.monotonic() + budget
    sent = 0
    while time.monotonic() < stop_at:
        note = _notification_claim(now=now or timezone.now(), gate_request_id=gate_request_id)
        if note is None:
            break
        sent += _notification_deliver(note, now=now or timezone.now())
    return sent


def _notification_claim(*, now: datetime, gate_request_id: int | None) -> GateNotification | None:
    """Lease the next due message: a row another worker holds is skipped (SKIP LOCKED), and
    once leased it is not due again until the lease runs out, so each message goes once."""
    due = GateNotification.objects.select_for_update(skip_locked=True).filter(
        status=NotificationStatus.PENDING, next_attempt_at__lte=now
    )
    if gate_request_id is not None:
        due = due.filter(gate_request_id=gate_request_id)
    with transaction.atomic():
        note = due.order_by("next_attempt_at", "id").first()
        if note is None:
            return None
        note.attempts += 1
        note.next_attempt_at = now + timedelta(
            seconds=settings.GATE_NOTIFY_TIMEOUT + _NOTIFY_LEASE_MARGIN_SECONDS
        )
        note.save(update_fields=["attempts", "next_attempt_at"])
    return note


def _notification_deliver(note: GateNotification, *, now: datetime) -> int:
    """Send one leased message and record the outcome under its lease (``attempts``)."""
    gate_request = GateRequest.objects.select_related("run").get(pk=note.gate_request_id)
    message = notifications.gate_message(gate_request, kind=note.kind, now=now)
    mine = GateNotification.objects.filter(pk=note.pk, attempts=note.attempts)
    try:
        notifications.deliver(note.channel, note.target, message)
    except notifications.DeliveryFailed as exc:
        logger.warning("gate notification %s failed (attempt %s): %s", note.pk, note.attempts, exc)
        final = note.attempts >= settings.GATE_NOTIFY_MAX_ATTEMPTS
        # A gate that closed meanwhile skipped the message: it is not retried.
        mine.filter(status=NotificationStatus.PENDING).update(
            status=NotificationStatus.FAILED if final else NotificationStatus.PENDING,
            next_attempt_at=None if final else now + notify_backoff(note.attempts),
            last_error=str(exc),
        )
        return 0
    # Recorded as sent even if the gate closed while it was on its way: it was sent.
    mine.update(status=NotificationStatus.SENT, sent_at=now, next_attempt_at=None, last_error="")
    return 1
