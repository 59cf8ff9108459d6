"""Keep secrets out of logs, stored header snapshots, admin pages and API output."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

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


def is_secret_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in SECRET_HEADERS or bool(_SECRET_HEADER_HINT.search(lowered))


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Header snapshot safe to store: credential headers replaced, secrets in values masked."""
    return {
        name: REDACTED if is_secret_header(name) else redact_text(str(value))
        for name, value in headers.items()
    }


def redact_text(text: str) -> str:
    for pattern in _TEXT_PATTERNS:
        if pattern.groups:
            text = pattern.sub(
                lambda m: m.group(1) + REDACTED + ("@" if m.group(0).endswith("@") else ""), text
            )
        else:
            text = pattern.sub(REDACTED, text)
    return text


class RedactSecretsFilter(logging.Filter):
    """Logging filter that masks secrets in the rendered message (URLs with tokens, keys)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not kill logging
            return True
        cleaned = redact_text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
