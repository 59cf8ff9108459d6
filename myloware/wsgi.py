"""WSGI entry point (gunicorn): Django, with provider callbacks on a shorter middleware chain.

Providers deliver callbacks in bursts, and every one of them went through the middleware that
serves the console's browsers — static files, sessions, CSRF, the logged-in user, messages —
although the intake uses none of it: its view is CSRF-exempt, the signature is its
authentication, it reads no session and no cookie. That chain was about a tenth of a callback's
CPU (bench/webhook_ingest.py). So a POST to the intake URL is served by a second Django handler
whose chain is ``settings.INTAKE_MIDDLEWARE`` (MIDDLEWARE without BROWSER_MIDDLEWARE): the same
URLconf, views and edge (database-outage 503s, the JSON error shape, security headers, host
validation). Every other request takes the full chain.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myloware.settings")
django_application = get_wsgi_application()

from django.conf import settings  # noqa: E402 - after setup
from django.urls import reverse  # noqa: E402


class IntakeHandler(WSGIHandler):
    """Django's WSGI handler with ``settings.INTAKE_MIDDLEWARE`` as its chain."""

    def load_middleware(self, is_async: bool = False) -> None:
        # BaseHandler reads settings.MIDDLEWARE; swapped for the one call, at start-up.
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.INTAKE_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


def intake_matcher() -> Callable[[dict[str, Any]], bool]:
    """``environ -> bool``: is this a POST to ``webhooks/<provider>`` (read from the URLconf)?"""
    from webhooks.urls import urlpatterns

    prefix = reverse("webhook-intake", kwargs={"provider": "p"}).removesuffix("p")
    reserved = {str(p.pattern).split("/")[1] for p in urlpatterns if p.name != "webhook-intake"}

    def is_intake(environ: dict[str, Any]) -> bool:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") != "POST" or not path.startswith(prefix):
            return False
        provider = path[len(prefix) :]
        return bool(provider) and "/" not in provider and provider not in reserved

    return is_intake


class Application:
    def __init__(self) -> None:
        self.full, self.intake = django_application, IntakeHandler()
        self.is_intake = intake_matcher()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        handler = self.intake if self.is_intake(environ) else self.full
        return handler(environ, start_response)


application = Application()
