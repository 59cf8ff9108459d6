"""Periodic jobs of the LangGraph integration.

``manage.py setup_schedules`` imports ``<app>.schedules`` of each installed app, so these are
installed through ``runs/schedules.py``, which adds them to its own ``SCHEDULES``.
"""

from __future__ import annotations

SCHEDULES = [
    {
        "name": "runs.langgraph.prune_checkpoints",
        "func": "runs.langgraph.tasks.prune_checkpoints",
        "schedule_type": "H",
        "repeats": -1,
    },
]
