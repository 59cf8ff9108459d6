"""Keep secrets out of logs, stored header snapshots, admin pages and API output.

Two layers, both in :func:`redact_text`: patterns for secrets that look like secrets anywhere
(``token=`` in URLs, ``Apikey``/``Bearer`` values, ``whsec_`` keys, passwords in database URLs),
and the literal values of every secret the process is configured with (environment variables
whose names say secret/token/password/key/credential, e.g. ``WEBHOOK_SECRET_*`` even when a
provider's token travels in a parameter with an innocent name; the path and query of chat
webhook URLs, ``*_WEBHOOK_URLS``, which carry their secret in the path; and secrets read from the
database that a sender registered with :func:`register_secrets`).

:func:`redact_url` is how such a URL is shown (admin, API): scheme and host, the rest masked.

:class:`RedactSecretsFilter` applies it to a log record's message, arguments and traceback; it is
put on **every handler** of the process: by ``configure_logging`` (Django's ``LOGGING_CONFIG``),
again when the apps are ready (handlers libraries add on import), and by gunicorn's logger class
(``myloware/gunicorn_conf.py``) for its access and error logs.
"""

from __future__ import annotations

import hashlib
import logging
import logging.config
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

REDACTED = "[redacted]"

# Header names (lower-case) whose values are credentials. Signatures are kept: they are not
# secrets (they are derived from the secret and the body) and operators need them to debug.
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "x-auth-token",
        "x-webhook-secret",
        "x-upload-post-api-key",
    }
)
_SECRET_HEADER_HINT = re.compile(r"(secret|token|password|api[-_]?key)", re.IGNORECASE)

# Patterns for secrets that may appear inside free text (URLs, exception messages).
_TEXT_PATTERNS = [
    # token=..., secret=... in URLs and in free text ("retry with token=abc"), but not the tail
    # of a longer name such as idempotency_key=.
    re.compile(r"(?i)((?<![\w-])(?:token|api_key|apikey|key|secret|signature|password)=)[^&\s'\"]+"),
    re.compile(r"whsec_[A-Za-z0-9+/=]+"),
    re.compile(r"(?i)(Apikey|Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?i)(postgres(?:ql)?://[^:/\s]+:)[^@\s]+@"),
]
# What every one of those patterns needs somewhere in the text (one search instead of four subs).
_TEXT_PATTERN_HINT = re.compile(r"(?i)=|whsec_|apikey|bearer|basic|postgres")


# Environment variables whose values are secrets (matched on the upper-cased name).
_SECRET_ENV_NAME = re.compile(r"(SECRET|TOKEN|PASSWORD|PASSWD|API_KEY|APIKEY|CREDENTIAL|PRIVATE_KEY)")
# ... but not the knobs that only name where or how a secret is found.
_NOT_A_SECRET_NAME = re.compile(r"_(DIR|PREFIX|PARAM|HEADER|FILE|PATH)(_|$)")
# Variables holding webhook URLs whose path and query are the secret (Slack-style chat webhooks).
_SECRET_URL_ENV_NAME = re.compile(r"WEBHOOK_URLS?$")
# Shorter values are not masked literally: "1" or "true" would blank out ordinary text.
_MIN_LITERAL = 8


def configured_secrets() -> list[str]:
    """The secret values this process is configured with, longest first.

    Read from the environment (the configuration; tests and ``var/dev.env`` change it at run
    time) and recomputed only when it changed: os.environ's raw bytes mapping is an exact,
    cheap fingerprint (~5 µs), decoding and scanning every variable is not (~120 µs per line).
    """
    global _cache
    snapshot = (len(_registered), *os.environ._data.items())  # type: ignore[attr-defined]
    if snapshot != _cache[0]:
        _cache = (snapshot, _scan_environment())
    return _cache[1]


_cache: tuple[tuple[Any, ...], list[str]] = ((), [])
# Secrets this process read from the database (register_secrets); they only ever grow.
_registered: set[str] = set()


def register_secrets(values: Iterable[str]) -> None:
    """Mask these values too, from now on, in this process: secrets that come from the database
    rather than the environment (a gate policy's chat webhook URLs, registered by their sender
    before the request that httpx logs)."""
    _registered.update(value for value in values if len(value) >= _MIN_LITERAL)


def url_secrets(url: str) -> list[str]:
    """The secret parts of a webhook URL: its path and its query (a Slack-style URL carries its
    token in the path), and its password if it has one."""
    parts = urlsplit(url)
    return [part for part in (parts.path, parts.query, parts.password or "") if len(part) >= _MIN_LITERAL]


def redact_url(url: str) -> str:
    """A webhook URL fit to show: scheme, host and port; credentials, path and query replaced by
    ``[redacted]`` and a fingerprint of the whole URL, so two URLs of one host can be told apart."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    fingerprint = hashlib.sha256(url.encode()).hexdigest()[:8]
    return f"{parts.scheme}://{host}/{REDACTED}#{fingerprint}"


def _scan_environment() -> list[str]:
    values: set[str] = set(_registered)
    for name, raw in os.environ.items():
        upper = name.upper()
        if _SECRET_URL_ENV_NAME.search(upper):
            values.update(secret for url in raw.split(",") for secret in url_secrets(url.strip()))
            continue
        if not _SECRET_ENV_NAME.search(upper) or _NOT_A_SECRET_NAME.search(upper):
            continue
        for value in raw.split(","):  # rotation lists: "new,old"
            value = value.strip()
            values.add(value)
            if value.startswith("whsec_"):
                values.add(value.removeprefix("whsec_"))
    password = urlsplit(os.environ.get("DATABASE_URL", "")).password
    if password:
        values.update({password, unquote(password)})
    return sorted((v for v in values if len(v) >= _MIN_LITERAL), key=len, reverse=True)


def is_secret_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in SECRET_HEADERS or bool(_SECRET_HEADER_HINT.search(lowered))


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Header snapshot safe to store: credential headers replaced, secrets in values masked."""
    secrets = configured_secrets()  # once per snapshot, not once per header
    return {
        name: REDACTED if is_secret_header(name) else redact_text(str(value), secrets=secrets)
        for name, value in headers.items()
    }


def redact_text(text: str, *, secrets: list[str] | None = None) -> str:
    for secret in configured_secrets() if secrets is None else secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    if not _TEXT_PATTERN_HINT.search(text):
        return text  # none of the patterns can match: most header values and log lines
    for pattern in _TEXT_PATTERNS:
        if pattern.groups:
            text = pattern.sub(
                lambda m: m.group(1) + REDACTED + ("@" if m.group(0).endswith("@") else ""), text
            )
        else:
            text = pattern.sub(REDACTED, text)
    return text


class RedactSecretsFilter(logging.Filter):
    """Masks secrets in a record as it will be written: message, traceback and stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not kill logging
            return True
        cleaned = redact_text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            # Rendered here so that the formatter prints the redacted text (it reuses exc_text).
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True


def _all_handlers() -> Iterator[logging.Handler]:
    loggers: list[Any] = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    for logger in loggers:
        yield from getattr(logger, "handlers", [])  # PlaceHolder entries have none


def redact_every_handler() -> int:
    """Put the redaction filter on every handler that lacks one; returns how many were added."""
    added = 0
    for handler in _all_handlers():
        if not any(isinstance(existing, RedactSecretsFilter) for existing in handler.filters):
            handler.addFilter(RedactSecretsFilter())
            added += 1
    return added


def configure_logging(config: dict[str, Any]) -> None:
    """Django's LOGGING_CONFIG: the dictConfig of settings.LOGGING, then redaction everywhere
    (Django's own default handlers included)."""
    logging.config.dictConfig(config)
    redact_every_handler()
