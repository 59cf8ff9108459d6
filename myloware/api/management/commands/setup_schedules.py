"""Create or update the django-q2 schedules declared in code (``<app>/schedules.py``).

Idempotent (update_or_create by name); ``make run`` calls it on start.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django_q.models import Schedule


def declared_schedules() -> list[dict[str, Any]]:
    declared: list[dict[str, Any]] = []
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.schedules")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.schedules":
                raise
            continue
        declared.extend(getattr(module, "SCHEDULES", []))
    return declared


class Command(BaseCommand):
    help = "Create or update the periodic jobs declared in each app's schedules.py"

    def handle(self, *args: Any, **options: Any) -> None:
        for spec in declared_schedules():
            spec = dict(spec)
            name = spec.pop("name")
            _, created = Schedule.objects.update_or_create(name=name, defaults=spec)
            self.stdout.write(f"{'created' if created else 'updated'} schedule {name}")
