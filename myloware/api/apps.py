from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ApiConfig(AppConfig):
    name = "myloware.api"
    label = "api"
    verbose_name = "API access"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from myloware.api.operators import sync_operators_group_after_migrate

        post_migrate.connect(
            sync_operators_group_after_migrate, sender=self, dispatch_uid="myloware.api.operators_group"
        )
