"""Domain errors raised by services. Every interface maps them the same way:

the API's exception handler turns them into the one JSON error shape with ``http_status``; the
admin shows ``message`` to the operator; management commands print it and exit non-zero.
Services never import DRF or build HTTP responses.
"""

from __future__ import annotations

from typing import Any


def error_body(status_code: int, code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The one JSON error shape of every answer under /api/ (DRF, Django, gunicorn's own)."""
    body: dict[str, Any] = {"status": status_code, "code": code, "message": message}
    if details:
        body["details"] = details
    return {"error": body}


class DomainError(Exception):
    http_status = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if code:
            self.code = code


class InvalidInput(DomainError):
    """The request is well-formed but breaks a rule (422)."""

    http_status = 422
    code = "invalid"


class NotFound(DomainError):
    http_status = 404
    code = "not_found"


class Conflict(DomainError):
    """The current state forbids the operation (409), e.g. an illegal run transition."""

    http_status = 409
    code = "conflict"


class PreconditionFailed(DomainError):
    """An optimistic-concurrency check failed (412): someone else wrote first."""

    http_status = 412
    code = "precondition_failed"


class PreconditionRequired(DomainError):
    """A write that must be conditional came without its precondition (428, RFC 6585): e.g. a
    checkpoint save without If-Match once the checkpoint exists."""

    http_status = 428
    code = "precondition_required"


class PayloadTooLarge(DomainError):
    http_status = 413
    code = "payload_too_large"


class PermissionDenied(DomainError):
    http_status = 403
    code = "permission_denied"


class RateLimited(DomainError):
    """Too soon (429); ``retry_after`` seconds until the next attempt may succeed."""

    http_status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, details: dict[str, Any] | None = None):
        super().__init__(message, details={**(details or {}), "retry_after": retry_after})
        self.retry_after = retry_after
