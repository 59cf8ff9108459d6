"""Periodic jobs of the webhooks app.

``SCHEDULES`` (django-q2, installed by ``setup_schedules``): the hourly prune of the intake's
counters of unauthenticated deliveries (ended failure windows, old rejected-body budgets).

The replay of due dead-letter entries, the sweep of valid events whose task was lost and the
wake of a processor for events nobody drains repair the task queue, so they are not django-q2 schedules (a wedged or backlogged cluster would starve
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
    {
        # A slot whose processor died (killed or frozen worker, lost task) is free again when its
        # lease expires; this starts a processor for events that wait with no delivery to come.
        "name": "webhooks.wake_processors",
        "func": "webhooks.tasks.wake_processors",
        "seconds": settings.WEBHOOK_WAKE_SECONDS,
    },
]

SCHEDULES = [
    {
        "name": "webhooks.prune_intake_counters",
        "func": "webhooks.tasks.prune_intake_counters",
        "schedule_type": "I",
        "minutes": 60,
        "repeats": -1,
    },
]
