"""Small typed helpers that read configuration from the environment.

Every knob of the project goes through one of these so that a bad value fails at start-up with a
message naming the variable, instead of surfacing later as a confusing error.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured, ValidationError

from myloware.lib.redact import redact_url
from myloware.lib.validators import validate_email, validate_http_url

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false, yes/no), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be >= {minimum}, got {value}")
    return value


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_header_value(name: str) -> tuple[str, str] | None:
    """``Header-Name,value`` (or Django's ``HTTP_HEADER_NAME,value``) as ``("HTTP_HEADER_NAME",
    "value")``, the form of SECURE_PROXY_SSL_HEADER; None when unset or empty."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    header, sep, value = (part.strip() for part in raw.partition(","))
    if not sep or not header or not value or "," in value:
        raise ImproperlyConfigured(
            f"{name} must be 'Header-Name,value' (e.g. X-Forwarded-Proto,https), got {raw!r}"
        )
    meta = header.upper().replace("-", "_")
    return (meta if meta.startswith("HTTP_") else f"HTTP_{meta}", value)


def load_env_file(path: Path) -> list[str]:
    """Add ``KEY=VALUE`` lines of ``path`` to the environment without overriding what is set.

    Used for the development secrets ``make run`` generates (``var/dev.env``), so that every
    local process (web, workers, ``manage.py demo_pipeline`` in another shell) shares them.
    """
    if not path.is_file():
        return []
    loaded = []
    for line in path.read_text().splitlines():
        key, sep, value = line.strip().partition("=")
        if not sep or key.startswith("#"):
            continue
        if key not in os.environ:
            os.environ[key] = value
            loaded.append(key)
    return loaded


def env_emails(name: str) -> list[str]:
    """A comma-separated list of e-mail addresses; a malformed one stops start-up."""
    values = env_list(name)
    for value in values:
        if not _valid(validate_email, value):
            raise ImproperlyConfigured(f"{name}: {value!r} is not an e-mail address")
    return values


def env_http_urls(name: str) -> list[str]:
    """A comma-separated list of http(s) URLs; a malformed one stops start-up (shown redacted)."""
    return [_http_url(name, value) for value in env_list(name)]


def env_http_url(name: str, default: str) -> str:
    """One http(s) URL, ``default`` when unset; a malformed one stops start-up (shown redacted)."""
    raw = os.environ.get(name)
    return default if raw is None else _http_url(name, raw.strip())


def _http_url(name: str, value: str) -> str:
    if not _valid(validate_http_url, value):
        raise ImproperlyConfigured(f"{name}: {redact_url(value)} is not an http(s) URL")
    return value


def env_share(name: str, default: float) -> float:
    """A share of something, from 0 (off) to below 1."""
    value = env_float(name, default)
    if not 0 <= value < 1:
        raise ImproperlyConfigured(f"{name} must be at least 0 and below 1, got {value}")
    return value


def _valid(validator: Callable[[str], None], value: str) -> bool:
    # The validators' own messages are translated lazily, which settings cannot do yet.
    try:
        validator(value)
    except ValidationError:
        return False
    return True
