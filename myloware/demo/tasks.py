"""django-q2 entry points of the demo pipeline."""

from __future__ import annotations

from myloware.demo import services
from runs.models import GateRequest, GateStatus


def pipeline_gate_decided(gate_request_pk: int) -> str:
    """Gate-decided hook (registered by ``DemoConfig.ready`` when DEMO_PIPELINE_ENABLED): resume a
    demo pipeline run's graph.

    Fires for every closed gate of every run; only demo pipeline runs have a graph to resume.
    Safe to run twice: the second run finds no pending interrupt for a closed gate.
    """
    gate_request = GateRequest.objects.select_related("run").filter(pk=gate_request_pk).first()
    if gate_request is None or gate_request.status == GateStatus.OPEN:
        return "nothing to resume"
    if not services.pipeline_is_demo_run(gate_request.run):
        return "not a demo pipeline run"
    return services.pipeline_resume(run_id=gate_request.run_id, actor="system:demo_resume")
