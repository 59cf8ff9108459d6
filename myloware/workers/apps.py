from __future__ import annotations

from django.apps import AppConfig


class WorkersConfig(AppConfig):
    """Watching the django-q2 cluster: per-worker heartbeats, liveness, the worker command."""

    name = "myloware.workers"
    label = "workers"
    verbose_name = "Background workers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from myloware.workers import heartbeat

        heartbeat.connect_signals()
