from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "myloware.api"
    label = "api"
    verbose_name = "API access"
    default_auto_field = "django.db.models.BigAutoField"
