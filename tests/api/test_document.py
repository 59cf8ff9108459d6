"""The OpenAPI document tells a client everything it needs (docs/clients.md): every status with its
schema and meaning, the headers it reads and sends, which fields are always there, typed JSON
where we define its shape and open objects where we don't, no recursive schema, tags by area,
enum-typed filters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from myloware.api.tags import Tag
from runs.models import RunStatus

ERROR_REF = {"$ref": "#/components/schemas/Error"}
# Statuses the edge (or gunicorn before it) answers on any operation.
EDGE = {"400", "414", "422", "431", "503"}
# Properties of answers that are absent when there is nothing to say, each with why.
OPTIONAL_IN_ANSWERS = {
    ("ErrorBody", "details"): "only when there is more to say than the message",
    ("Citations", "trace_id"): "a citations body may leave it out (the server fills it in)",
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"].rsplit("/", 1)[-1]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _reachable(document: dict[str, Any], roots: list[Any]) -> set[str]:
    schemas = document["components"]["schemas"]
    seen: set[str] = set()
    pending = [name for root in roots for name in _refs(root)]
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            pending += _refs(schemas[name])
    return seen


def test_every_scoped_operation_documents_the_403_of_a_key_without_its_scope(
    document: dict[str, Any],
) -> None:
    scoped = [
        (m, p, o) for m, p, o in _operations(document) if o.get("x-required-scope") not in (None, "any")
    ]
    assert len(scoped) >= 39
    for method, path, operation in scoped:
        refused = operation["responses"].get("403")
        assert refused is not None, (method, path)
        assert refused["content"]["application/json"]["schema"] == ERROR_REF, (method, path)
        assert f"`{operation['x-required-scope']}`" in refused["description"], (method, path)
        assert "missing_scope" in refused["description"], (method, path)


def test_every_answer_is_described_and_every_error_has_the_error_shape(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            assert response.get("description"), (method, path, status)
            if int(status) >= 400:
                assert response["content"]["application/json"]["schema"] == ERROR_REF, (method, path, status)
        assert operation["responses"].keys() >= EDGE, (method, path)
        if operation.get("security") != [{}]:
            assert "401" in operation["responses"], (method, path)


def test_retry_after_is_a_header_of_every_429_and_503(document: dict[str, Any]) -> None:
    limited = 0
    for method, path, operation in _operations(document):
        for status in ("429", "503"):
            if status in operation["responses"]:
                header = operation["responses"][status]["headers"]["Retry-After"]
                assert header["schema"]["type"] == "integer", (method, path, status)
                limited += status == "429"
    assert limited >= 2  # the publish rate window and the webhook intake


def _parameter(operation: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in operation["parameters"] if p["name"] == name)


def test_the_headers_a_client_reads_or_sends_are_in_the_document(document: dict[str, Any]) -> None:
    checkpoint = document["paths"]["/api/v1/runs/{run_id}/checkpoint"]
    read, save = checkpoint["get"], checkpoint["put"]
    assert _parameter(read, "If-None-Match")["in"] == "header"
    for status in ("200", "304"):
        assert read["responses"][status]["headers"]["ETag"]["required"] is True
    assert _parameter(save, "If-Match")["in"] == "header"
    for status in ("200", "201"):
        assert save["responses"][status]["headers"]["ETag"]["required"] is True
    assert {"412", "428"} <= save["responses"].keys()
    assert "428" in save["description"] and "required" in _parameter(save, "If-Match")["description"]
    decide = document["paths"]["/api/v1/runs/{run_id}/gates/{gate}/decision"]["post"]
    assert _parameter(decide, "Idempotency-Key")["in"] == "header"
    for method, path, operation in _operations(document):
        if operation.get("security") != [{}]:
            key = _parameter(operation, "X-API-Key")
            assert key["in"] == "header", (method, path)


def test_fields_always_present_in_answers_are_required(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    answers = [
        response.get("content", {})
        for _, _, operation in _operations(document)
        for response in operation["responses"].values()
    ]
    checked = 0
    for name in sorted(_reachable(document, answers)):
        properties = schemas[name].get("properties", {})
        optional = set(properties) - set(schemas[name].get("required", []))
        if name == "ErrorDetails":
            continue  # each error names what it is about: every key of details is optional
        assert optional == {field for component, field in OPTIONAL_IN_ANSWERS if component == name}, name
        checked += bool(properties)
    assert checked >= 30


def test_no_schema_refers_to_itself(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for name, schema in schemas.items():
        assert name not in _reachable(document, [schema]), name


def test_free_json_is_an_open_object_and_shaped_json_is_typed(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["JsonObject"]["type"] == "object"
    assert schemas["JsonObject"]["additionalProperties"] is True
    run = schemas["Run"]["properties"]
    assert {"payload", "result"} <= {field for field in run if "JsonObject" in set(_refs(run[field]))}
    artifact = schemas["Artifact"]["properties"]
    assert "RetrievalTrace" in set(_refs(artifact["retrieval_trace"]))
    assert "Citations" in set(_refs(artifact["metadata"]))
    assert set(schemas["RetrievalTrace"]["required"]) == {
        "query",
        "docIds",
        "similarities",
        "persona",
        "project",
    }
    assert set(_refs(schemas["ErrorBody"]["properties"]["details"])) == {"ErrorDetails"}
    assert schemas["Gate"]["properties"]["artifact_ids"]["items"] == {"type": "string", "format": "uuid"}


def test_every_operation_has_one_described_tag_of_its_area(document: dict[str, Any]) -> None:
    described = {tag["name"]: tag["description"] for tag in document["tags"]}
    assert list(described) == list(Tag.values) and all(described.values())
    used = set()
    for method, path, operation in _operations(document):
        assert len(operation["tags"]) == 1 and operation["tags"][0] in described, (method, path)
        used.add(operation["tags"][0])
    assert used == set(described)


def test_list_filters_that_take_enum_values_are_typed_as_such(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    runs = _parameter(document["paths"]["/api/v1/runs"]["get"], "status")
    assert runs["schema"] == {"type": "array", "items": {"$ref": "#/components/schemas/RunStatusEnum"}}
    assert runs.get("explode", True) is True
    assert set(schemas["RunStatusEnum"]["enum"]) == set(RunStatus.values)
    events = document["paths"]["/api/v1/webhooks/events"]["get"]
    for name, enum in (("status", "WebhookEventStatusEnum"), ("signature_status", "SignatureStatusEnum")):
        assert _parameter(events, name)["schema"] == {"$ref": f"#/components/schemas/{enum}"}
