"""Make django-q2's recurring schedules those declared in code (``SCHEDULES`` of ``<app>/schedules.py``).

Idempotent: creates or updates each declared schedule by name, and deletes the recurring
schedules no longer declared (a job that was removed or renamed). One-off schedules (``ONCE``)
are jobs queued for a later time, not declarations, and stay. ``make run`` calls it on start.
"""

from __future__ import annotations

from typing import Any

from django_q.models import Schedule

from myloware.lib.commands import MylowareCommand
from myloware.workers.jobs import declared_schedules


class Command(MylowareCommand):
    help = "Create or update the periodic jobs declared in each app's schedules.py, delete the others"

    def handle(self, *args: Any, **options: Any) -> None:
        declared = declared_schedules()
        for spec in declared:
            spec = dict(spec)
            name = spec.pop("name")
            _, created = Schedule.objects.update_or_create(name=name, defaults=spec)
            self.stdout.write(f"{'created' if created else 'updated'} schedule {name}")
        retired = Schedule.objects.exclude(name__in=[spec["name"] for spec in declared]).exclude(
            schedule_type=Schedule.ONCE
        )
        for name in retired.values_list("name", flat=True):
            self.stdout.write(f"deleted schedule {name}")
        retired.delete()
