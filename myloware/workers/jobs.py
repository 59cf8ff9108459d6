"""Schedules declared in code: ``SCHEDULES`` of each app's ``schedules.py``, created (or updated)
as django-q2 schedules by ``manage.py setup_schedules``."""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps


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
