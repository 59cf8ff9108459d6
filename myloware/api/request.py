"""Who is acting and from where, derived once for every interface."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from myloware.api.models import ApiKey

API_ACTOR_PREFIX = "api:"
OPERATOR_ACTOR_PREFIX = "admin:"


def actor_for(request: HttpRequest) -> str:
    """``api:<key name>`` for API consumers, ``admin:<username>`` for operators."""
    user = getattr(request, "user", None)
    if isinstance(user, ApiKey):
        return f"{API_ACTOR_PREFIX}{user.name}"
    if user is not None and getattr(user, "is_authenticated", False):
        return f"{OPERATOR_ACTOR_PREFIX}{user.get_username()}"
    return "anonymous"


def is_api_actor(actor: str) -> bool:
    return actor.startswith(API_ACTOR_PREFIX)


def operator_username(actor: str) -> str | None:
    """The username of an operator's actor string, None for any other actor."""
    return actor.removeprefix(OPERATOR_ACTOR_PREFIX) if actor.startswith(OPERATOR_ACTOR_PREFIX) else None


def client_ip(request: HttpRequest) -> str:
    """The client's address. ``X-Forwarded-For`` counts only through TRUSTED_PROXY_COUNT proxies.

    Each trusted proxy appends the address it received the request from, so the client is the
    N-th entry from the right; anything further left was written by the client and may be forged.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
    ]
    if len(forwarded) < trusted:
        return forwarded[0] if forwarded else remote
    return forwarded[-trusted]
