"""Periodic jobs of the webhooks app, created idempotently by ``manage.py setup_schedules``."""

from __future__ import annotations

SCHEDULES = [
    {
        "name": "webhooks.replay_due_webhooks",
        "func": "webhooks.tasks.replay_due_webhooks",
        "schedule_type": "I",
        "minutes": 1,
        "repeats": -1,
    }
]
