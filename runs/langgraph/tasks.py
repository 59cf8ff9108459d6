"""django-q2 entry points of the LangGraph integration."""

from __future__ import annotations

from django.conf import settings

from runs.langgraph import services


def prune_checkpoints() -> int:
    """Schedule: prune checkpoints of runs that ended more than LANGGRAPH_RETENTION_DAYS ago."""
    return services.checkpoints_prune_ended_runs(
        older_than_days=settings.LANGGRAPH_RETENTION_DAYS, actor="system:langgraph_retention"
    )
