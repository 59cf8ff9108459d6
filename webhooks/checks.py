"""``manage.py check --deploy``: warn about webhook providers that cannot authenticate anything."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register

from webhooks.conf import env_suffix


@register(Tags.security, deploy=True)
def providers_have_secrets(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    return [
        Warning(
            f"Webhook provider {slug!r} has no secret: every delivery is answered 401 and never processed.",
            hint=f"Set WEBHOOK_SECRET_{env_suffix(slug)} (comma-separated for rotation).",
            id="webhooks.W001",
        )
        for slug, config in sorted(settings.WEBHOOK_PROVIDERS.items())
        if not config.secrets
    ]
