"""API key lifecycle: create (the raw key is returned once, with its scopes), change scopes,
rotate (a new key, the old one kept for a grace period), revoke, authenticate."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.utils import timezone
from django.utils.translation import ngettext

from myloware.api.models import ALL_SCOPES, NAME_MAX_LENGTH, ApiKey
from myloware.lib.errors import Conflict, InvalidInput, NotFound

KEY_PREFIX = "mlw_"
_PREFIX_LEN = 12  # "mlw_" + 8 random characters, kept in clear
_KEY_PATTERN = re.compile(r"^mlw_[A-Za-z0-9_-]{40,60}$")
# Writing last_used_at on every request would turn every read into a write; minute precision
# is what an operator needs to spot unused keys.
_LAST_USED_GRANULARITY = timedelta(minutes=1)
MAX_ROTATION_GRACE_HOURS = 24 * 365


def _hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def _new_raw_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(36)


def api_key_scopes_clean(scopes: Iterable[str]) -> list[str]:
    """Known scopes, each once, in the canonical order; at least one (a key must do something)."""
    wanted = {scope.strip() for scope in scopes if scope.strip()}
    unknown = sorted(wanted - set(ALL_SCOPES))
    if unknown:
        raise InvalidInput(
            f"Unknown API key {ngettext('scope', 'scopes', len(unknown))} {', '.join(unknown)}; known: {', '.join(ALL_SCOPES)}",
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
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidInput(f"An API key's name has at most {NAME_MAX_LENGTH} characters")
    scopes = api_key_scopes_clean(scopes)
    existing = ApiKey.objects.filter(name=name).first()
    if existing is not None:
        raise _name_taken(existing)
    raw_key = _new_raw_key()
    try:
        with transaction.atomic():
            key = ApiKey.objects.create(
                name=name, prefix=raw_key[:_PREFIX_LEN], key_hash=_hash(raw_key), scopes=scopes
            )
    except IntegrityError:  # created meanwhile by someone else: the unique name decided
        raise _name_taken(ApiKey.objects.get(name=name)) from None
    return key, raw_key


def _name_taken(existing: ApiKey) -> Conflict:
    if existing.revoked_at is not None:
        return Conflict(
            f"An API key named {existing.name!r} exists and was revoked at "
            f"{existing.revoked_at:%Y-%m-%d %H:%M %Z}; a name stays with its key's audit trail, so "
            "give the new key another name"
        )
    return Conflict(
        f"An API key named {existing.name!r} already exists; to give its consumer a new key, rotate "
        "it (manage.py rotate_api_key, or the admin's rotate action)"
    )


def api_key_set_scopes(*, name: str, scopes: Iterable[str]) -> ApiKey:
    """Change what a key may do (takes effect on its next request); clears the legacy mark."""
    scopes = api_key_scopes_clean(scopes)
    if not ApiKey.objects.filter(name=name).update(scopes=scopes, legacy_full_access=False):
        raise NotFound(f"No API key named {name!r}")
    return ApiKey.objects.get(name=name)


def api_key_rotate(*, name: str, now: datetime, grace_hours: float | None = None) -> tuple[ApiKey, str]:
    """Give the key ``name`` a new raw key (same name, same scopes); the current one stays valid
    for ``grace_hours`` after ``now`` (default ``API_KEY_ROTATION_GRACE_HOURS``; 0 ends it at once).

    A key keeps one predecessor: rotating again ends the key the previous rotation replaced.
    A revoked key is not rotated (revocation is final). Returns the row and the new raw key.
    """
    if grace_hours is None:
        grace_hours = settings.API_KEY_ROTATION_GRACE_HOURS
    if not 0 <= grace_hours <= MAX_ROTATION_GRACE_HOURS:
        raise InvalidInput(f"The grace period is 0 to {MAX_ROTATION_GRACE_HOURS} hours, not {grace_hours}")
    raw_key = _new_raw_key()
    with transaction.atomic():  # the row read back is the one this update wrote (it holds the lock)
        # One statement: the previous_* columns take the row's values from before the update, so
        # two rotations at once each replace the key the other left, never a key both saw.
        rotated = ApiKey.objects.filter(name=name, revoked_at__isnull=True).update(
            previous_prefix=F("prefix"),
            previous_key_hash=F("key_hash"),
            previous_valid_until=now + timedelta(hours=grace_hours),
            prefix=raw_key[:_PREFIX_LEN],
            key_hash=_hash(raw_key),
        )
        key = ApiKey.objects.filter(name=name).first()
    if key is None:
        raise NotFound(f"No API key named {name!r}")
    if not rotated:
        raise Conflict(
            f"API key {name!r} was revoked at {key.revoked_at:%Y-%m-%d %H:%M %Z}; a revoked key is "
            "not rotated: create a new key under another name"
        )
    return key, raw_key


def api_key_revoke(*, name: str) -> ApiKey:
    key = ApiKey.objects.filter(name=name).first()
    if key is None:
        raise NotFound(f"No API key named {name!r}")
    if key.revoked_at is None:
        ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        key.refresh_from_db()
    return key


def api_key_authenticate(raw_key: str, *, now: datetime) -> ApiKey | None:
    """The unrevoked key whose current key, or predecessor still in its grace period at ``now``,
    is ``raw_key``; None otherwise. Hashes are compared in constant time; whether a predecessor
    is still valid is decided by the query."""
    if not _KEY_PATTERN.match(raw_key or ""):
        return None
    prefix, digest = raw_key[:_PREFIX_LEN], _hash(raw_key)
    in_grace = Q(previous_prefix=prefix, previous_valid_until__gt=now)
    candidates = ApiKey.objects.filter(Q(prefix=prefix) | in_grace, revoked_at__isnull=True).annotate(
        previous_in_grace=ExpressionWrapper(in_grace, output_field=BooleanField())
    )
    for candidate in candidates:
        current = hmac.compare_digest(candidate.key_hash, digest)
        previous = hmac.compare_digest(candidate.previous_key_hash, digest)
        if current or (previous and candidate.previous_in_grace):
            _touch(candidate, now)
            return candidate
    return None


def _touch(key: ApiKey, now: datetime) -> None:
    if key.last_used_at is None or now - key.last_used_at > _LAST_USED_GRANULARITY:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
