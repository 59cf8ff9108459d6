"""Validators for addresses the product sends to: e-mail addresses and http(s) webhook URLs.

Shared by the settings (``env_emails``, ``env_http_urls``), the models that store them and the
admin forms, so a malformed address is refused the same way wherever it is entered.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

from myloware.lib.redact import redact_url

__all__ = ["validate_email", "validate_http_url"]

_HTTP_URL = URLValidator(schemes=["http", "https"])


def validate_http_url(value: str) -> None:
    """An absolute http(s) URL; the error never repeats the URL (its path may be a secret)."""
    try:
        _HTTP_URL(value)
    except ValidationError:
        raise ValidationError(
            "%(url)s is not an http(s) URL", code="invalid_url", params={"url": redact_url(value)}
        ) from None
