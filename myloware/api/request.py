"""Who is acting and from where, derived once for every interface."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from myloware.api.models import ApiKey


def actor_for(request: HttpRequest) -> str:
    """``api:<key name>`` for API consumers, ``admin:<username>`` for operators."""
    user = getattr(request, "user", None)
    if isinstance(user, ApiKey):
        return f"api:{user.name}"
    if user is not None and getattr(user, "is_authenticated", False):
        return f"admin:{user.get_username()}"
    return "anonymous"


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
