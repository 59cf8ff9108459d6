"""API key lifecycle: create (the raw key is returned once, with its scopes), change scopes,
revoke, authenticate."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.utils import timezone

from myloware.api.models import ALL_SCOPES, ApiKey
from myloware.lib.errors import Conflict, InvalidInput, NotFound

KEY_PREFIX = "mlw_"
_PREFIX_LEN = 12  # "mlw_" + 8 random characters, kept in clear
_KEY_PATTERN = re.compile(r"^mlw_[A-Za-z0-9_-]{40,60}$")
# Writing last_used_at on every request would turn every read into a write; minute precision
# is what an operator needs to spot unused keys.
_LAST_USED_GRANULARITY = timedelta(minutes=1)


def _hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_key_scopes_clean(scopes: Iterable[str]) -> list[str]:
    """Known scopes, each once, in the canonical order; at least one (a key must do something)."""
    wanted = {scope.strip() for scope in scopes if scope.strip()}
    unknown = sorted(wanted - set(ALL_SCOPES))
    if unknown:
        raise InvalidInput(
            f"Unknown API key scope(s) {', '.join(unknown)}; known: {', '.join(ALL_SCOPES)}",
            details={"scopes": unknown},
        )
    if not wanted:
        raise InvalidInput(f"An API key needs at least one scope: {', '.join(ALL_SCOPES)}")
    return [scope for scope in ALL_SCOPES if scope in wanted]


def api_key_create(*, name: str, scopes: Iterable[str]) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the raw key, which is never stored nor shown again."""
    name = name.strip()
    if not name:
        raise InvalidInput("An API key needs a name")
    scopes = api_key_scopes_clean(scopes)
    if ApiKey.objects.filter(name=name).exists():
        raise Conflict(f"An API key named {name!r} already exists")
    raw_key = KEY_PREFIX + secrets.token_urlsafe(36)
    key = ApiKey.objects.create(
        name=name, prefix=raw_key[:_PREFIX_LEN], key_hash=_hash(raw_key), scopes=scopes
    )
    return key, raw_key


def api_key_set_scopes(*, name: str, scopes: Iterable[str]) -> ApiKey:
    """Change what a key may do (takes effect on its next request); clears the legacy mark."""
    scopes = api_key_scopes_clean(scopes)
    if not ApiKey.objects.filter(name=name).update(scopes=scopes, legacy_full_access=False):
        raise NotFound(f"No API key named {name!r}")
    return ApiKey.objects.get(name=name)


def api_key_revoke(*, name: str) -> ApiKey:
    key = ApiKey.objects.filter(name=name).first()
    if key is None:
        raise NotFound(f"No API key named {name!r}")
    if key.revoked_at is None:
        ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        key.refresh_from_db()
    return key


def api_key_authenticate(raw_key: str) -> ApiKey | None:
    """The active key matching ``raw_key``, or None. Comparison is constant-time."""
    if not _KEY_PATTERN.match(raw_key or ""):
        return None
    digest = _hash(raw_key)
    for candidate in ApiKey.objects.filter(prefix=raw_key[:_PREFIX_LEN], revoked_at__isnull=True):
        if hmac.compare_digest(candidate.key_hash, digest):
            _touch(candidate)
            return candidate
    return None


def _touch(key: ApiKey) -> None:
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > _LAST_USED_GRANULARITY:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
