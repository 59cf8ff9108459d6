"""Test data built through the services, so every invariant holds (the one ``make_run``)."""

from __future__ import annotations

from typing import Any

from runs.models import Run, RunStatus
from runs.services import run_create, run_transition

# How a test run reaches a status through the real lifecycle (runs are created pending, or
# pending_workflow).
RUN_PATHS: dict[str, list[str]] = {
    RunStatus.PENDING_WORKFLOW: [],
    RunStatus.PENDING: [],
    RunStatus.RUNNING: [RunStatus.RUNNING],
    RunStatus.AWAITING_APPROVAL: [RunStatus.RUNNING, RunStatus.AWAITING_APPROVAL],
    RunStatus.PUBLISHED: [RunStatus.RUNNING, RunStatus.PUBLISHED],
    RunStatus.FAILED: [RunStatus.RUNNING, RunStatus.FAILED],
    RunStatus.REJECTED: [RunStatus.RUNNING, RunStatus.AWAITING_APPROVAL, RunStatus.REJECTED],
    RunStatus.CANCELLED: [RunStatus.CANCELLED],
}


def make_run(
    status: str = RunStatus.RUNNING,
    *,
    project: str = "aismr",
    actor: str = "api:orchestrator",
    result: dict[str, Any] | None = None,
    **create: Any,
) -> Run:
    """A run of ``project`` moved through the real transitions to ``status``; ``result`` is set
    as it is (a state the orchestrator would have merged in); ``create`` goes to run_create."""
    initial = RunStatus.PENDING_WORKFLOW if status == RunStatus.PENDING_WORKFLOW else RunStatus.PENDING
    run = run_create(project=project, status=initial, actor=actor, **create)
    for step in RUN_PATHS[status]:
        run = run_transition(run_id=run.run_id, to=step, actor="test", reason="test setup")
    if result is not None:
        Run.objects.filter(pk=run.pk).update(result=result)
        run.refresh_from_db()
    return run
