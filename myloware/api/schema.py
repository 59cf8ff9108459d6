"""OpenAPI pieces shared by every app's API, and the hooks that keep the document true.

Views document what is particular to them (their 404, 409, 412, 429 …). The statuses the edge
answers for any operation (myloware.api.input, .parsers, .middleware, authentication, database
outages) are added here once, for every operation, by :func:`add_edge_responses`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from myloware.api.input import NO_NUL_PATTERN
from myloware.api.serializers import JSON_OBJECT_SCHEMA, JSON_VALUE_SCHEMA


class ErrorBodySerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="HTTP status, repeated for clients that lose it")
    code = serializers.CharField(help_text="machine-readable reason, e.g. conflict, invalid, not_found")
    message = serializers.CharField(help_text="what went wrong, for people")
    details = serializers.JSONField(
        required=False, help_text="structured context (field, current_status, retry_after …)"
    )


class ErrorSerializer(serializers.Serializer):
    """The one JSON error shape of the API (see myloware.api.exceptions)."""

    error = ErrorBodySerializer()


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(ErrorSerializer) for code in codes}


_ERROR_REF = {"$ref": "#/components/schemas/Error"}
# Cross-field rules of a component that serializers can't state (JSON Schema if/then …), by name.
COMPONENT_RULES: dict[str, dict[str, Any]] = {}


def state_rules(component: str, rules: dict[str, Any]) -> None:
    """Have the document state ``rules`` (JSON Schema keywords) on the component ``component``."""
    COMPONENT_RULES[component] = rules


_EDGE_RESPONSES = {
    "400": "The body is not valid JSON",
    "401": "Missing, unknown or revoked X-API-Key",
    "404": "Nothing exists at this path",
    "413": "The body is larger than API_JSON_MAX_BYTES",
    "415": "The body is not application/json",
    "422": (
        "A parameter, header or body value breaks a rule; details.field names it (NUL or lone "
        "surrogates in text, JSON deeper than API_JSON_MAX_DEPTH, unknown values)"
    ),
    "503": "The database is unavailable; retry after Retry-After seconds",
}


def _edge_statuses(operation: dict[str, Any], path: str) -> list[str]:
    statuses = ["422", "503"]
    if operation.get("security") != [{}] and "security" in operation:
        statuses.append("401")
    if "{" in path:
        statuses.append("404")
    if "requestBody" in operation:
        statuses += ["400", "413", "415"]
    return statuses


def _state_no_nul(schema: dict[str, Any]) -> None:
    """Add NO_NUL_PATTERN to every free text of an input schema (the edge refuses NUL: 422)."""
    types = schema.get("type")
    is_text = types == "string" or (isinstance(types, list) and "string" in types)
    if is_text and not {"pattern", "enum", "format"} & schema.keys():
        schema["pattern"] = NO_NUL_PATTERN
    for child in schema.get("properties", {}).values():
        _state_no_nul(child)
    if isinstance(schema.get("items"), dict):
        _state_no_nul(schema["items"])


def _nullable_as_any_of(schema: Any) -> None:
    """drf-spectacular writes a nullable field of OpenAPI 3.1 as ``oneOf: [X, {type: null}]``,
    which no value satisfies when X admits null too (X = {} for JSON fields): ``anyOf`` means
    what was meant."""
    if not isinstance(schema, dict):
        return
    one_of = schema.get("oneOf")
    if isinstance(one_of, list) and {"type": "null"} in one_of and "discriminator" not in schema:
        schema["anyOf"] = schema.pop("oneOf")
    for value in schema.values():
        if isinstance(value, dict):
            _nullable_as_any_of(value)
        elif isinstance(value, list):
            for item in value:
                _nullable_as_any_of(item)


def _request_components(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The component schemas of JSON request bodies (each shape of a polymorphic one).

    A body with a required field is itself required (drf-spectacular leaves that out for
    polymorphic bodies): without a body the server answers 400.
    """
    components = result.get("components", {}).get("schemas", {})
    found = []
    for item in result.get("paths", {}).values():
        for operation in item.values():
            body = operation.get("requestBody", {})
            ref = body.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
            if not ref.startswith("#/components/schemas/"):
                continue
            component = components[ref.rsplit("/", 1)[1]]
            variants = [v["$ref"] for v in component.get("oneOf", []) if "$ref" in v]
            shapes = [components[v.rsplit("/", 1)[1]] for v in variants] or [component]
            if any(shape.get("required") for shape in shapes):
                body["required"] = True
            found += shapes
    return found


def add_edge_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: state what the edge enforces on every /api/ operation.

    Its error answers; no NUL in any text parameter or body text; request bodies take only their
    documented keys (myloware.api.serializers.StrictInputSerializer); the JSON value schemas.
    """
    for path, item in result.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            for status in _edge_statuses(operation, path):
                responses.setdefault(
                    status,
                    {
                        "description": _EDGE_RESPONSES[status],
                        "content": {"application/json": {"schema": _ERROR_REF}},
                    },
                )
            for parameter in operation.get("parameters", []):
                _state_no_nul(parameter.get("schema", {}))
    for component in _request_components(result):
        if component.get("type") == "object":
            component["additionalProperties"] = False
            _state_no_nul(component)
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for schema in schemas.values():
        _nullable_as_any_of(schema)
    for name, rules in COMPONENT_RULES.items():
        schemas[name].update(rules)
    schemas["JsonValue"] = JSON_VALUE_SCHEMA
    schemas["JsonObject"] = JSON_OBJECT_SCHEMA
    return result
