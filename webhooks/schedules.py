"""Periodic jobs of the webhooks app.

The replay of due dead-letter entries and the sweep of valid events whose task was lost repair
the task queue, so they are not django-q2 schedules (a wedged or backlogged cluster would starve
them): ``manage.py run_workers`` runs them in its main process (``myloware.workers.jobs``).
"""

from __future__ import annotations

from django.conf import settings

REPAIR_JOBS = [
    {
        "name": "webhooks.replay_due_webhooks",
        "func": "webhooks.tasks.replay_due_webhooks",
        "seconds": settings.WEBHOOK_SWEEP_SECONDS,
    },
]
