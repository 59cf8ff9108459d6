"""django-q2 entry points of the LangGraph integration."""

from __future__ import annotations

from django.conf import settings

from runs.langgraph import services
from runs.models import GateRequest, GateStatus


def prune_checkpoints() -> int:
    """Schedule: prune checkpoints of runs that ended more than LANGGRAPH_RETENTION_DAYS ago."""
    return services.checkpoints_prune_ended_runs(
        older_than_days=settings.LANGGRAPH_RETENTION_DAYS, actor="system:langgraph_retention"
    )


def pipeline_gate_decided(gate_request_pk: int) -> str:
    """Gate-decided hook (GATE_DECIDED_TASKS): resume a demo pipeline run's graph.

    Fires for every closed gate of every run; only demo pipeline runs have a graph to resume.
    Safe to run twice: the second run finds no pending interrupt for a closed gate.
    """
    gate_request = GateRequest.objects.select_related("run").filter(pk=gate_request_pk).first()
    if gate_request is None or gate_request.status == GateStatus.OPEN:
        return "nothing to resume"
    if not services.pipeline_is_demo_run(gate_request.run):
        return "not a demo pipeline run"
    return services.pipeline_resume(run_id=gate_request.run_id, actor="system:langgraph_resume")
