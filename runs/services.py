"""Run lifecycle services: the only code that writes runs.

Every interface (API, admin, webhook handlers, tasks, commands) calls these functions.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models.functions import Now

from myloware.lib.errors import Conflict, NotFound
from runs.models import ALLOWED_TRANSITIONS, Run, RunStatus, sources_of


def new_run_id() -> str:
    return f"run_{uuid.uuid4().hex[:16]}"


def run_get(*, run_id: str) -> Run:
    run = Run.objects.filter(run_id=run_id).first()
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
    """Create a run in ``pending`` or ``pending_workflow``."""
    return Run.objects.create(
        run_id=run_id or new_run_id(), project=project, payload=payload or {}, status=status, result={}
    )


def run_transition(*, run_id: str, to: str, actor: str, reason: str = "") -> Run:
    """Move a run to ``to`` with one conditional UPDATE; refuse (409) when not allowed now.

    ``UPDATE runs SET status = to WHERE run_id = ? AND status IN (sources of to)``: two writers
    racing cannot both win, and a terminal status never changes (no source leads out of it).
    """
    if to not in ALLOWED_TRANSITIONS:
        raise Conflict(f"Unknown status {to!r}", details={"allowed_statuses": sorted(ALLOWED_TRANSITIONS)})
    updated = Run.objects.filter(run_id=run_id, status__in=sources_of(to)).update(status=to, updated_at=Now())
    run = run_get(run_id=run_id)
    if not updated:
        raise Conflict(
            f"Run {run_id} cannot move from {run.status} to {to}",
            details={"current_status": run.status, "allowed": run.allowed_next},
        )
    return run


def run_merge_result(*, run_id: str, patch: dict[str, Any], actor: str = "system") -> Run:
    """Deep-merge ``patch`` into ``run.result`` under a row lock (no lost updates)."""
    return run_update_result(run_id=run_id, mutate=lambda result: deep_merge(result, patch), actor=actor)


def run_update_result(
    *, run_id: str, mutate: Callable[[dict[str, Any]], dict[str, Any]], actor: str = "system"
) -> Run:
    """Apply ``mutate`` to a copy of ``run.result`` while holding the run's row lock.

    For changes a merge can't express (e.g. marking ``result.videos[i]``): the lock makes the
    read-modify-write atomic, so concurrent webhook handlers never lose each other's updates.
    """
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(run_id=run_id).first()
        if run is None:
            raise NotFound(f"Run {run_id!r} does not exist")
        run.result = mutate(copy.deepcopy(run.result or {}))
        Run.objects.filter(run_id=run_id).update(result=run.result, updated_at=Now())
    return run


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
