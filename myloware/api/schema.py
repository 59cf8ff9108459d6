"""OpenAPI pieces shared by every app's API."""

from __future__ import annotations

from rest_framework import serializers


class ErrorBodySerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="HTTP status, repeated for clients that lose it")
    code = serializers.CharField(help_text="machine-readable reason, e.g. conflict, invalid, not_found")
    message = serializers.CharField(help_text="what went wrong, for people")
    details = serializers.JSONField(
        required=False, help_text="structured context (current_status, retry_after …)"
    )


class ErrorSerializer(serializers.Serializer):
    """The one JSON error shape of the API (see myloware.api.exceptions)."""

    error = ErrorBodySerializer()
