"""Periodic jobs of the webhooks app (created by ``manage.py setup_schedules``): the replay of due
dead-letter entries, and the hourly prune of the intake's counters of unauthenticated deliveries
(ended failure windows, old rejected-body budgets).

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
    {
        "name": "webhooks.prune_intake_counters",
        "func": "webhooks.tasks.prune_intake_counters",
        "schedule_type": "I",
        "minutes": 60,
        "repeats": -1,
    },
]
