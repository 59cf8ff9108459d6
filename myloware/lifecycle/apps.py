from __future__ import annotations

from django.apps import AppConfig


class LifecycleConfig(AppConfig):
    """What keeps the data bounded and recoverable: retention (the policy and its schedule) and the
    backup and restore commands. No tables of its own: each app's rows go through its services."""

    name = "myloware.lifecycle"
    label = "lifecycle"
    verbose_name = "Data lifecycle"
