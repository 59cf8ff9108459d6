from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from myloware.api.models import ApiKey
from myloware.api.services import api_key_authenticate

HEADER = "X-API-Key"


class APIKeyAuthentication(authentication.BaseAuthentication):
    """``X-API-Key: mlw_...``. request.user and request.auth are both the ApiKey row."""

    def authenticate(self, request: Request) -> tuple[ApiKey, ApiKey] | None:
        raw = request.headers.get(HEADER)
        if raw is None:
            return None
        key = api_key_authenticate(raw.strip(), now=timezone.now())
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key")
        return key, key

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) when the key is missing.
        return HEADER


class APIKeyScheme(OpenApiAuthenticationExtension):
    target_class = "myloware.api.authentication.APIKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        from myloware.api.scopes import security_description

        return {"type": "apiKey", "in": "header", "name": HEADER, "description": security_description()}
