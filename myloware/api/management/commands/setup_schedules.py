"""Create or update the django-q2 schedules declared in code (``SCHEDULES`` of ``<app>/schedules.py``).

Idempotent (update_or_create by name); ``make run`` calls it on start.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django_q.models import Schedule

from myloware.workers.jobs import declared_schedules


class Command(BaseCommand):
    help = "Create or update the periodic jobs declared in each app's schedules.py"

    def handle(self, *args: Any, **options: Any) -> None:
        for spec in declared_schedules():
            spec = dict(spec)
            name = spec.pop("name")
            _, created = Schedule.objects.update_or_create(name=name, defaults=spec)
            self.stdout.write(f"{'created' if created else 'updated'} schedule {name}")
