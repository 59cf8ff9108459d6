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
        from myloware.lib.redact import redact_every_handler

        post_migrate.connect(
            sync_operators_group_after_migrate, sender=self, dispatch_uid="myloware.api.operators_group"
        )
        # Libraries may add handlers while the apps load (django-q2 does when the root has none).
        redact_every_handler()
