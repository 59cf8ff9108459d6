"""Jobs declared in code by each app's ``schedules.py``.

``SCHEDULES``: django-q2 schedules (created by ``manage.py setup_schedules``), run as tasks by the
cluster. ``REPAIR_JOBS``: jobs that repair the queue itself (the sweep of events whose task was
lost, the dead-letter replay). They must not be starved by the cluster they repair, so
``run_workers`` runs them in threads of its own main process, outside the worker pool and the
task queue: ``{"name": ..., "func": "dotted.path", "seconds": period}``.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps


def declared_jobs(attribute: str) -> list[dict[str, Any]]:
    declared: list[dict[str, Any]] = []
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.schedules")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.schedules":
                raise
            continue
        declared.extend(getattr(module, attribute, []))
    return declared
