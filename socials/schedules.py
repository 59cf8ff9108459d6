"""Periodic jobs of the socials app (created by ``manage.py setup_schedules``)."""

from __future__ import annotations

SCHEDULES = [
    {
        "name": "socials.publications_recover_stale",
        "func": "socials.tasks.publications_recover_stale_run",
        "schedule_type": "I",
        "minutes": 5,
        "repeats": -1,
    }
]
