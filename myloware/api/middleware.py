from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

from myloware.api.exceptions import database_unavailable_response

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    """Answer 503 + Retry-After instead of a traceback when the database cannot be reached.

    DRF's handler covers API views; this covers everything else (admin, health, webhooks,
    session and auth middleware that query before any view runs).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        except (OperationalError, InterfaceError) as exc:
            logger.warning("database unavailable on %s: %s", request.path, exc)
            return database_unavailable_response()

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OperationalError | InterfaceError):
            logger.warning("database unavailable on %s: %s", request.path, exception)
            return database_unavailable_response()
        return None
