"""Periodic jobs of the socials app (created by ``manage.py setup_schedules``)."""

from __future__ import annotations

SCHEDULES = [
    {
        "name": "socials.publications_recover_stale",
        "func": "socials.tasks.publications_recover_stale_run",
        "schedule_type": "I",
        "minutes": 5,
        "repeats": -1,
    },
    {
        # Fallback for lost upload_completed webhooks; the per-publication backoff decides who
        # is actually asked, so a short period costs only an indexed query.
        "name": "socials.publications_poll_status",
        "func": "socials.tasks.publications_poll_status_run",
        "schedule_type": "I",
        "minutes": 2,
        "repeats": -1,
    },
]
