"""One JSON error shape for every API error:

{"error": {"status": 409, "code": "conflict", "message": "...", "details": {...}}}
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from myloware.lib.errors import DomainError, RateLimited, error_body

logger = logging.getLogger(__name__)
DB_RETRY_AFTER_SECONDS = 5


def database_unavailable_response(
    message: str = "The database is unavailable; retry shortly", *, retry_after: int = DB_RETRY_AFTER_SECONDS
) -> JsonResponse:
    response = JsonResponse(error_body(503, "database_unavailable", message), status=503)
    response["Retry-After"] = str(retry_after)
    return response


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        response = Response(
            error_body(exc.http_status, exc.code, exc.message, exc.details), status=exc.http_status
        )
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, OperationalError | InterfaceError):
        logger.warning("database unavailable: %s", exc)
        django_response = database_unavailable_response()
        response = Response(django_response_json(django_response), status=503)
        response["Retry-After"] = str(DB_RETRY_AFTER_SECONDS)
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    handled = exception_handler(exc, context)
    if handled is None:
        if isinstance(exc, DatabaseError):
            logger.exception("database error")
        return None
    return _reshape(exc, handled)


def django_response_json(response: JsonResponse) -> Any:
    import json

    return json.loads(response.content)


def field_errors(detail: Any, path: str = "") -> dict[str, str]:
    """DRF's nested error detail as ``{"tags[2]": "message", "social.id": "message"}``.

    One flat map from a field's path to its messages: what a client shows next to the field, and
    no nested lists that tools would read as a schema of the request (Schemathesis does).
    """
    if isinstance(detail, dict):
        flat: dict[str, str] = {}
        for key, value in detail.items():
            name = f"{path}[{key}]" if str(key).isdigit() else (f"{path}.{key}" if path else str(key))
            flat.update(field_errors(value, name))
        return flat
    if isinstance(detail, list) and all(not isinstance(item, dict | list) for item in detail):
        return {path or "body": " ".join(str(item) for item in detail)}
    if isinstance(detail, list):
        flat = {}
        for index, item in enumerate(detail):
            flat.update(field_errors(item, f"{path}[{index}]"))
        return flat
    return {path or "body": str(detail)}


def _reshape(exc: Exception, response: Response) -> Response:
    if isinstance(exc, exceptions.ValidationError):
        message = "Invalid input"
        details: object = field_errors(exc.detail)  # or None once folded into the message
        if isinstance(exc.detail, list) and len(exc.detail) == 1:
            message, details = str(exc.detail[0]), None
        response.data = error_body(response.status_code, "invalid", message, details)
        return response
    detail = getattr(exc, "detail", None)
    code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    if response.status_code == status.HTTP_401_UNAUTHORIZED:
        code = (
            "not_authenticated" if isinstance(exc, exceptions.NotAuthenticated) else "authentication_failed"
        )
    response.data = error_body(response.status_code, str(code), str(detail or exc), None)
    return response
