from __future__ import annotations

from django.apps import AppConfig
from django.conf import settings

GATE_DECIDED_TASK = "myloware.demo.tasks.pipeline_gate_decided"


class DemoConfig(AppConfig):
    """The LangGraph demo pipeline (``manage.py demo_pipeline``); no tables of its own."""

    name = "myloware.demo"
    label = "demo"
    verbose_name = "Demo pipeline"

    def ready(self) -> None:
        register_hooks()


def register_hooks() -> None:
    """Resume demo graphs when their gates close, only where the demo is enabled: elsewhere every
    closed gate would enqueue a task with nothing to do."""
    # Imported here: apps.py is loaded before the app registry is ready, runs.services needs models.
    from runs.services import register_gate_decided_handler

    if settings.DEMO_PIPELINE_ENABLED:
        register_gate_decided_handler(GATE_DECIDED_TASK)
