"""Webhook provider configuration, read from the environment (framework-free, used by settings).

Every provider has a verification scheme, secrets (several at once for rotation), header names,
a timestamp tolerance and a body size limit. Defaults ship for ``kieai``, ``shotstack`` and
``upload-post``; ``WEBHOOK_STANDARD_PROVIDERS`` adds Standard-Webhooks senders by configuration.
Per provider (slug upper-cased, ``-`` -> ``_``): ``WEBHOOK_SECRET_<P>`` (comma-separated),
``WEBHOOK_SCHEME_<P>``, ``WEBHOOK_SIGNATURE_HEADER_<P>``, ``WEBHOOK_TIMESTAMP_HEADER_<P>``,
``WEBHOOK_TOLERANCE_<P>`` (seconds, 0 = timestamp not enforced where the scheme allows it),
``WEBHOOK_MAX_BODY_<P>`` (bytes) and ``WEBHOOK_TOKEN_PARAM_<P>`` (``token`` scheme).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from myloware.lib.env import env_int, env_list, env_str

SCHEMES = ("standard", "kieai", "hmac-body", "token")
SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
# Paths under /api/v1/webhooks/ that are API endpoints, so they cannot be provider slugs.
RESERVED_SLUGS = frozenset({"events", "dlq"})
DEFAULT_MAX_BODY = 1024 * 1024
DEFAULT_TOLERANCE = 300


@dataclass(frozen=True)
class ProviderConfig:
    slug: str
    scheme: str
    secrets: tuple[str, ...] = ()
    signature_header: str = ""
    timestamp_header: str = ""
    # Seconds; 0 means "not enforced" (only allowed for hmac-body, whose timestamp is optional).
    tolerance: int = DEFAULT_TOLERANCE
    max_body: int = DEFAULT_MAX_BODY
    token_param: str = "token"  # noqa: S105 - the name of the query parameter, not a secret
    # Name of the handler in webhooks.handlers.HANDLERS ("" = none: events are stored and ignored).
    handler: str = ""

    def __repr__(self) -> str:  # never print secrets, even in a debug page or a log line
        return f"ProviderConfig(slug={self.slug!r}, scheme={self.scheme!r}, secrets={len(self.secrets)})"


# Scheme defaults: header names and tolerance, per providers.md.
# (signature header, timestamp header, tolerance in seconds)
_SCHEME_DEFAULTS: dict[str, tuple[str, str, int]] = {
    "standard": ("webhook-signature", "webhook-timestamp", DEFAULT_TOLERANCE),
    "kieai": ("X-Webhook-Signature", "X-Webhook-Timestamp", DEFAULT_TOLERANCE),
    # The timestamp of hmac-body is optional and enforced only when a tolerance is configured.
    "hmac-body": ("X-Signature", "X-Timestamp", 0),
    "token": ("", "", 0),
}

# Providers that ship configured (secrets still come from the environment).
BUILTIN_PROVIDERS: dict[str, dict[str, str]] = {
    "kieai": {"scheme": "kieai", "handler": "kieai"},
    "shotstack": {"scheme": "token", "handler": "shotstack"},
    "upload-post": {"scheme": "hmac-body", "handler": "upload-post"},
}


def env_suffix(slug: str) -> str:
    """``upload-post`` -> ``UPLOAD_POST`` (the variable-name form of a slug)."""
    return slug.upper().replace("-", "_")


def provider_from_env(slug: str, *, scheme: str, handler: str = "") -> ProviderConfig:
    suffix = env_suffix(slug)
    scheme = env_str(f"WEBHOOK_SCHEME_{suffix}", scheme).strip().lower() or scheme
    if scheme not in SCHEMES:
        raise ImproperlyConfigured(
            f"WEBHOOK_SCHEME_{suffix} must be one of {', '.join(SCHEMES)}, got {scheme!r}"
        )
    signature_header, timestamp_header, default_tolerance = _SCHEME_DEFAULTS[scheme]
    tolerance = env_int(f"WEBHOOK_TOLERANCE_{suffix}", default_tolerance, minimum=0)
    if scheme in ("standard", "kieai") and tolerance == 0:
        # These schemes sign the timestamp; not enforcing it would re-open replay attacks.
        raise ImproperlyConfigured(f"WEBHOOK_TOLERANCE_{suffix} must be > 0 for the {scheme} scheme")
    return ProviderConfig(
        slug=slug,
        scheme=scheme,
        secrets=tuple(env_list(f"WEBHOOK_SECRET_{suffix}")),
        signature_header=env_str(f"WEBHOOK_SIGNATURE_HEADER_{suffix}", signature_header),
        timestamp_header=env_str(f"WEBHOOK_TIMESTAMP_HEADER_{suffix}", timestamp_header),
        tolerance=tolerance,
        max_body=env_int(
            f"WEBHOOK_MAX_BODY_{suffix}", env_int("WEBHOOK_MAX_BODY", DEFAULT_MAX_BODY, minimum=1), minimum=1
        ),
        token_param=env_str(f"WEBHOOK_TOKEN_PARAM_{suffix}", "token"),
        handler=handler,
    )


def providers_from_env() -> dict[str, ProviderConfig]:
    """All configured providers by slug: the built-ins plus ``WEBHOOK_STANDARD_PROVIDERS``."""
    providers = {
        slug: provider_from_env(slug, scheme=spec["scheme"], handler=spec["handler"])
        for slug, spec in BUILTIN_PROVIDERS.items()
    }
    for raw in env_list("WEBHOOK_STANDARD_PROVIDERS"):
        slug = raw.lower()
        if not SLUG_PATTERN.match(slug) or slug in RESERVED_SLUGS:
            raise ImproperlyConfigured(
                f"WEBHOOK_STANDARD_PROVIDERS: {raw!r} is not a valid provider slug "
                "(lower-case letters, digits and '-'; not 'events' or 'dlq')"
            )
        if slug not in providers:
            providers[slug] = provider_from_env(slug, scheme="standard")
    return providers
