"""API key scopes: each API operation declares the scope it needs, one permission class checks it.

A view method is marked with :func:`requires_scope` (or :func:`any_key` for operations every
valid key may call, like ``/api/v1/me``). :class:`HasScope` is a default permission class: an
operation that declares nothing is refused (fail closed), so a new endpoint can't ship unscoped
by accident. The OpenAPI schema names the scope of every operation
(:class:`myloware.api.scope_schema.ScopedAutoSchema`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from myloware.api.models import ApiKey, Scope
from myloware.lib.errors import PermissionDenied

if TYPE_CHECKING:  # DRF imports the permission classes while rest_framework.views loads
    from rest_framework.views import APIView

F = TypeVar("F", bound=Callable[..., Any])
_ATTRIBUTE = "required_scope"
ANY_KEY = "any"  # the marker of operations any valid key may call
# OPTIONS answers with the operation's metadata only; it needs no scope.
_UNSCOPED_METHODS = frozenset({"OPTIONS"})


class MissingScope(PermissionDenied):
    code = "missing_scope"


def requires_scope(scope: Scope) -> Callable[[F], F]:
    """Declare that a view method (``get``, ``post`` …) needs ``scope``."""

    def mark(handler: F) -> F:
        setattr(handler, _ATTRIBUTE, Scope(scope).value)
        return handler

    return mark


def any_key(handler: F) -> F:
    """Declare that every valid key may call this view method."""
    setattr(handler, _ATTRIBUTE, ANY_KEY)
    return handler


def required_scope(view: APIView, method: str) -> str | None:
    """The scope a view's handler for ``method`` declared (``ANY_KEY``), or None if it declared none."""
    handler = getattr(view, method.lower(), None)
    return getattr(handler, _ATTRIBUTE, None)


class HasScope(BasePermission):
    """The key must carry the scope the operation declared; 403 ``missing_scope`` names it."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in _UNSCOPED_METHODS:
            return True
        if not hasattr(view, (request.method or "").lower()):
            return True  # no such operation: the view answers 405, there is nothing to guard
        scope = required_scope(view, request.method or "")
        if scope == ANY_KEY:
            return True
        if scope is None:
            raise PermissionDenied(
                f"{request.method} {request.path} declares no API key scope; refused",
                code="scope_undeclared",
            )
        key = request.user
        if isinstance(key, ApiKey) and key.has_scope(scope):
            return True
        granted: list[str] = list(key.scopes) if isinstance(key, ApiKey) else []
        raise MissingScope(
            f"This API key lacks the scope {scope!r} needed for {request.method} {request.path}",
            details={"required_scope": scope, "granted_scopes": granted},
        )


def security_description() -> str:
    """The description of the API key security scheme: every scope and what it allows."""
    lines = [
        "API key in the `X-API-Key` header (`manage.py create_api_key NAME --scope …`). Each "
        "operation needs one scope, named in its description and in `x-required-scope`; a key "
        "without it gets 403 `missing_scope` naming the scope. Scopes:",
        "",
    ]
    lines += [f"- `{scope.value}` — {scope.label.split(': ', 1)[1]}" for scope in Scope]
    return "\n".join(lines)
