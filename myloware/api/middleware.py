from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import django_prometheus.middleware
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django_prometheus.utils import Time

from myloware.api.exceptions import database_unavailable_response
from myloware.api.input import check_text
from myloware.lib.errors import InvalidInput, error_body

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


def is_api_path(path: str) -> bool:
    return path.startswith("/api/")


class ApiEdgeMiddleware:
    """The HTTP edge of ``/api/``: unstorable text in the URL is a 422, and errors are always JSON.

    * Every path segment (the view's URL arguments), header and query parameter, name and value,
      is checked once here (myloware.api.input), so no view passes a NUL to PostgreSQL. A view
      that must take whatever a sender sends (the webhook intake: a refusal would only make the
      provider retry) sets ``edge_checks_text = False`` and stores what it received safely.
    * Django answers some errors itself, before or around DRF: its 404 for a URL no pattern
      matches, a 400 for a SuspiciousOperation (bad Host, too many fields), debug pages when DEBUG
      is on. Under /api/ any such non-JSON error answer is replaced by the one JSON error shape
      with the same status, whatever the Accept header and DEBUG say.
    * Nothing under /api/ is stored by a browser or a proxy (``Cache-Control: no-store``): the
      answers carry raw webhook bodies, checkpoints and other keys' data.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not is_api_path(request.path):
            return response
        if response.status_code >= 400 and not _is_json(response):
            response = _json_error_like(response)
        response["Cache-Control"] = "no-store"
        return response

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        view_class = getattr(view_func, "view_class", None)
        if not is_api_path(request.path) or not getattr(view_class, "edge_checks_text", True):
            return None
        try:
            for name, value in view_kwargs.items():
                check_text(name, str(value))
            for name, value in request.headers.items():
                check_text(f"header {name}", value)
            for name, values in request.GET.lists():
                check_text("query parameter name", name)
                for value in values:
                    check_text(name, value)
        except InvalidInput as exc:
            return JsonResponse(error_body(422, exc.code, exc.message, exc.details), status=422)
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_api_path(request.path):
            return None
        if isinstance(exception, RequestDataTooBig):
            limit = settings.API_JSON_MAX_BYTES
            return JsonResponse(
                error_body(413, "payload_too_large", str(exception), {"limit_bytes": limit}), status=413
            )
        if isinstance(exception, SuspiciousOperation):
            return JsonResponse(error_body(400, "bad_request", str(exception)), status=400)
        return None


def _is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


def _json_error_like(response: HttpResponse) -> HttpResponse:
    status = response.status_code
    code = _ERROR_CODES.get(status, "error")
    replacement = JsonResponse(error_body(status, code, response.reason_phrase), status=status)
    for header in ("Allow", "Retry-After"):
        if header in response:
            replacement[header] = response[header]
    return replacement


_ERROR_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


class PrometheusAfterMiddleware(django_prometheus.middleware.PrometheusAfterMiddleware):
    """django-prometheus' inner middleware, without its 500 on a malformed Content-Length.

    It observes the body's size with ``int(Content-Length)`` (django-prometheus 2.5), so a header
    like ``abc`` — anyone's input, which Django itself reads as no length — raised a ValueError
    before the view. Such a request is timed and counted by view and status like any other; its
    method, transport and body size are not counted.
    """

    def process_request(self, request: HttpRequest) -> None:
        try:
            int(request.headers.get("content-length") or 0)  # as the library is about to
        except ValueError:
            request.prometheus_after_middleware_event = Time()  # type: ignore[attr-defined]
            return
        super().process_request(request)
