"""OpenAPI pieces shared by every app's API, and the hooks that keep the document true.

Views document what is particular to them (their 404, 409, 412, 429 …, each with what it means
there). Two postprocessing hooks state the rest once, for every operation:

* :func:`add_edge_responses`: the statuses the edge answers for any operation
  (myloware.api.input, .parsers, .middleware, authentication, database outages, and gunicorn's
  own answers to requests it cannot take: myloware/gunicorn_conf.py), and ``Retry-After``.
* :func:`state_input_rules`: what the edge refuses in any input (NUL in text, unknown body keys),
  and the JSON shapes and cross-field rules the apps define but serializers cannot state.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers

from myloware.api.input import NO_NUL_PATTERN

# JSON shapes (components) and cross-field rules of components (JSON Schema if/then …) that
# serializers can't state, by component name; written into the document by state_input_rules.
DEFINED_COMPONENTS: dict[str, dict[str, Any]] = {}
COMPONENT_RULES: dict[str, dict[str, Any]] = {}


def define_component(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """Put the JSON Schema ``schema`` into the document as the component ``name``; returns a
    reference to it, for ``extend_schema_field``."""
    DEFINED_COMPONENTS[name] = schema
    return {"$ref": f"#/components/schemas/{name}"}


def state_rules(component: str, rules: dict[str, Any]) -> None:
    """Have the document state ``rules`` (JSON Schema keywords) on the component ``component``."""
    COMPONENT_RULES[component] = rules


# The keys of ``details`` that several errors share; each error may add its own (validation
# errors map each field's path to its message).
_ERROR_DETAILS = define_component(
    "ErrorDetails",
    {
        "type": "object",
        "description": (
            "Structured context of the error. Validation errors (400) map each field's path to its "
            "message; other errors name what they are about with the keys below and their own."
        ),
        "properties": {
            "field": {"type": "string", "description": "The parameter, header or body path at fault (422)"},
            "current_status": {
                "type": "string",
                "description": "The run's status that forbids the operation",
            },
            "allowed": {
                "type": "array",
                "items": {"type": "string"},
                "description": "The values or transitions that are allowed",
            },
            "required_scope": {"type": "string", "description": "The scope the API key lacks (403)"},
            "granted_scopes": {
                "type": "array",
                "items": {"type": "string"},
                "description": "The scopes the API key has (403)",
            },
            "retry_after": {"type": "integer", "description": "Seconds until a retry may succeed (429)"},
            "current_version": {
                "type": ["integer", "null"],
                "description": "The checkpoint's version now; null when none exists (412, 428)",
            },
            "expected_version": {
                "type": ["integer", "null"],
                "description": "The version If-Match named; null without If-Match (412, 428)",
            },
        },
        "additionalProperties": True,
    },
)


@extend_schema_field(_ERROR_DETAILS)
class _ErrorDetailsField(serializers.JSONField):
    pass


class ErrorBodySerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="HTTP status, repeated for clients that lose it")
    code = serializers.CharField(
        help_text="machine-readable reason, e.g. conflict, invalid, not_found, missing_scope"
    )
    message = serializers.CharField(help_text="what went wrong, for people")
    details = _ErrorDetailsField(required=False, help_text="present when there is more to say")


class ErrorSerializer(serializers.Serializer):
    """The one JSON error shape of the API (see myloware.api.exceptions)."""

    error = ErrorBodySerializer()


def errors(described: dict[int, str]) -> dict[int, OpenApiResponse]:
    """The error answers particular to an operation, each with what it means there. The edge's
    (401, 414, 422 …) are added to every operation by :func:`add_edge_responses`."""
    return {status: OpenApiResponse(ErrorSerializer, description=text) for status, text in described.items()}


_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_EDGE_RESPONSES = {
    "400": (
        "Malformed request: a request line or header gunicorn cannot parse, or a JSON body that is "
        "invalid, holds NaN/Infinity, or has unknown keys or wrong JSON types (details name each)"
    ),
    "401": "Missing, unknown or revoked X-API-Key",
    "404": "Nothing exists at this path",
    "413": "The body is larger than API_JSON_MAX_BYTES",
    "414": (
        "The request line (method, path and query string) is longer than gunicorn's "
        "limit_request_line (4094 bytes by default); gunicorn answers before the application"
    ),
    "415": "The body is not application/json",
    "422": (
        "A parameter, header or body value breaks a rule; details.field names it (NUL or lone "
        "surrogates in text, JSON deeper than API_JSON_MAX_DEPTH, unknown values)"
    ),
    "431": "Too many request headers, or one longer than gunicorn's limit_request_field_size",
    "503": "A backend is unavailable (the database: retry after Retry-After seconds)",
}
_RETRY_AFTER = {
    "description": "Seconds to wait before retrying",
    "schema": {"type": "integer", "minimum": 0},
}


def _edge_statuses(operation: dict[str, Any], path: str) -> list[str]:
    # gunicorn answers a request line or headers it cannot take before any view (gunicorn_conf).
    statuses = ["400", "414", "422", "431", "503"]
    if operation.get("security") != [{}] and "security" in operation:
        statuses.append("401")
    if "{" in path:
        statuses.append("404")
    if "requestBody" in operation:
        statuses += ["413", "415"]
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


def _add_edge_response(responses: dict[str, Any], status: str) -> None:
    """The edge's answer ``status``; an operation that documents the status too keeps its own
    meaning, followed by the edge's."""
    response = responses.get(status)
    if response is None:
        responses[status] = {
            "description": _EDGE_RESPONSES[status],
            "content": {"application/json": {"schema": _ERROR_REF}},
        }
    elif _EDGE_RESPONSES[status] not in response["description"]:
        response["description"] = f"{response['description']}. Or: {_EDGE_RESPONSES[status]}"


def add_edge_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the edge's error answers on every /api/ operation,
    and the Retry-After header of every 429 and 503."""
    for path, item in result.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            for status in _edge_statuses(operation, path):
                _add_edge_response(responses, status)
            for status in ("429", "503"):
                if status in responses:
                    responses[status].setdefault("headers", {})["Retry-After"] = _RETRY_AFTER
    return result


def state_input_rules(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: what the edge refuses in input, and the JSON shapes.

    No NUL in any text parameter or body text; request bodies take only their documented keys
    (myloware.api.serializers.StrictInputSerializer); nullable fields as ``anyOf``; the components
    and rules of :func:`define_component` and :func:`state_rules`.
    """
    for path, item in result.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                _state_no_nul(parameter.get("schema", {}))
    for component in _request_components(result):
        if component.get("type") == "object":
            component["additionalProperties"] = False
            _state_no_nul(component)
    components = result.setdefault("components", {})
    # In name order, like the components drf-spectacular writes.
    schemas = components["schemas"] = dict(
        sorted({**components.get("schemas", {}), **DEFINED_COMPONENTS}.items())
    )
    for schema in schemas.values():
        _nullable_as_any_of(schema)
    for name, rules in COMPONENT_RULES.items():
        schemas[name].update(rules)
    return result
