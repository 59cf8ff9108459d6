"""Periodic jobs of the runs app (installed by ``manage.py setup_schedules``)."""

from __future__ import annotations

from runs.langgraph.schedules import SCHEDULES as LANGGRAPH_SCHEDULES

SCHEDULES = [
    {
        "name": "runs.gates_expire_due",
        "func": "runs.tasks.gates_expire_due",
        "schedule_type": "I",
        "minutes": 1,
        "repeats": -1,
    },
    {
        "name": "runs.gate_callbacks_retry_due",
        "func": "runs.tasks.gate_callbacks_retry_due",
        "schedule_type": "I",
        "minutes": 1,
        "repeats": -1,
    },
    {
        "name": "runs.gate_notifications_due",
        "func": "runs.tasks.gate_notifications_due",
        "schedule_type": "I",
        "minutes": 1,
        "repeats": -1,
    },
    {
        "name": "runs.run_status_counts_fold",
        "func": "runs.tasks.run_status_counts_fold",
        "schedule_type": "I",
        "minutes": 1,
        "repeats": -1,
    },
]

# The LangGraph checkpoint retention job lives with its code; setup_schedules reads this module.
SCHEDULES += LANGGRAPH_SCHEDULES
