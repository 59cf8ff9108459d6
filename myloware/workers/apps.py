from __future__ import annotations

from django.apps import AppConfig


class WorkersConfig(AppConfig):
    """Background work as django-q2's own tables tell it: schedule lag, the task queue, the probe."""

    name = "myloware.workers"
    label = "workers"
    verbose_name = "Background work"
    default_auto_field = "django.db.models.BigAutoField"
