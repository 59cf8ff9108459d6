from __future__ import annotations

from django.apps import AppConfig


class SocialsConfig(AppConfig):
    name = "socials"
    default_auto_field = "django.db.models.BigAutoField"
