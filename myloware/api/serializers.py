"""Base class and fields of every request body serializer: JSON types as documented, nothing more.

DRF's fields coerce (``2211`` becomes ``"2211"``, ``"yes"`` becomes ``True``), trim whitespace
and ignore unknown keys; a client generated from the OpenAPI document would see its typos and
type errors silently accepted or its data silently changed. ``StrictInputSerializer`` refuses
(400, naming the field) a value whose JSON type is not the documented one and a key the body does
not define, and keeps text byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from myloware.api.input import NO_NUL_PATTERN
from myloware.api.schema import define_component

# Free JSON (payload, result, state, metadata): an open object. Not a recursive schema of JSON
# values: client generators cannot build one (openapi-python-client drops every operation that
# uses it, openapi-typescript's types do not compile). What the edge refuses inside (NUL, lone
# surrogates, nesting deeper than API_JSON_MAX_DEPTH: 422) is said in words and, for the keys at
# the top, by propertyNames.
JSON_OBJECT = define_component(
    "JsonObject",
    {
        "type": "object",
        "description": (
            "Any JSON object. No text inside it, key or value at any depth, may contain NUL "
            "(\\u0000), and it nests at most API_JSON_MAX_DEPTH levels (422 otherwise)."
        ),
        "propertyNames": {"pattern": NO_NUL_PATTERN},
        "additionalProperties": True,
    },
)


@extend_schema_field(JSON_OBJECT)
class JsonObjectField(serializers.JSONField):
    """A JSON object (payload, result, state, metadata): any keys, any JSON values inside."""

    default_error_messages = {"not_object": "Must be a JSON object."}

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            self.fail("not_object")
        return super().to_internal_value(data)


class _PatternText(serializers.Field):
    """Text whose rule a service checks and a pattern documents. Not a CharField, whose own
    blank and length checks (400) and their schema (minLength) would pre-empt the service's."""

    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return data

    def to_representation(self, value: Any) -> str:
        return str(value)


def text_with_pattern(pattern: str, *, max_chars: int | None = None, **kwargs: Any) -> serializers.Field:
    """A text field whose rule a service checks (422 with its own message); ``pattern`` (and
    ``max_chars``) state that rule in the OpenAPI document, so clients know it before they send."""
    schema: dict[str, Any] = {"type": "string", "pattern": pattern}
    if max_chars is not None:
        schema["maxLength"] = max_chars
    # drf-spectacular reads the annotation from the field's class, so each gets its own.
    field_class = extend_schema_field(schema)(type("PatternText", (_PatternText,), {}))
    return field_class(**kwargs)


def _json_type_problem(field: serializers.Field, value: Any) -> str | None:
    if value is None:
        return None  # the field's allow_null decides
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else "Must be a boolean."
    if isinstance(field, serializers.IntegerField):
        # JSON Schema's integer includes 5.0 (a number with a zero fraction).
        integral = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        return None if integral and not isinstance(value, bool) else "Must be an integer."
    if isinstance(field, serializers.FloatField | serializers.DecimalField):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else "Must be a number."
    if isinstance(field, serializers.ListField):
        if not isinstance(value, list):
            return "Must be an array."
        problems = (_json_type_problem(field.child, item) for item in value)
        return next((f"Item {i}: {p}" for i, p in enumerate(problems) if p), None)
    if isinstance(field, serializers.DictField | serializers.Serializer):
        return None if isinstance(value, dict) else "Must be an object."
    if isinstance(field, serializers.JSONField):
        return None
    if isinstance(
        field, serializers.CharField | serializers.ChoiceField | serializers.UUIDField | _PatternText
    ):
        return None if isinstance(value, str) else "Must be a string."
    return None


class StrictInputSerializer(serializers.Serializer):
    # Base of request bodies: documented keys only, documented JSON types only, text kept as sent.
    # (A comment, not a docstring: drf-spectacular would show it as every body's description.)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for field in fields.values():
            for text in (field, getattr(field, "child", None)):
                if isinstance(text, serializers.CharField):
                    text.trim_whitespace = False
        return fields

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            errors: dict[str, list[str]] = {
                name: ["Unknown field."] for name in data if name not in self.fields
            }
            for name, field in self.fields.items():
                problem = _json_type_problem(field, data[name]) if name in data else None
                if problem:
                    errors[name] = [problem]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)
