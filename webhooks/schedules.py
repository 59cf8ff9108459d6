"""Periodic jobs of the webhooks app (created by ``manage.py setup_schedules``).

Processing itself is not a job: ``manage.py process_webhooks`` drains the event table.
"""

from __future__ import annotations

SCHEDULES = [
    {
        "name": "webhooks.replay_due_webhooks",
        "func": "webhooks.tasks.replay_due_webhooks",
        "schedule_type": "I",
        "minutes": 1,
        "repeats": -1,
    },
]
