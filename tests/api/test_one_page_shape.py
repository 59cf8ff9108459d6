"""Every list of the API is one keyset page ``{results, next_cursor, next}``: no operation answers
a bare JSON array, and every page takes the same ``cursor`` and ``limit`` parameters."""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

PAGE_KEYS = {"results", "next_cursor", "next"}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _answers(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    found = []
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        body = (get or {}).get("responses", {}).get("200", {}).get("content", {}).get("application/json")
        if body and "schema" in body:
            found.append((path, get, _resolve(schema, body["schema"])))
    return found


def test_no_operation_answers_a_bare_list(schema: dict[str, Any]) -> None:
    bare = [path for path, _, body in _answers(schema) if body.get("type") == "array"]
    assert bare == [], f"lists that are not a keyset page: {bare}"


def test_every_page_has_the_one_shape_and_its_parameters(schema: dict[str, Any]) -> None:
    pages = [
        (path, get, body) for path, get, body in _answers(schema) if "results" in body.get("properties", {})
    ]
    assert len(pages) >= 8  # runs, gates, artifacts (2), events, DLQ, documents, socials, links, publications
    for path, get, body in pages:
        assert set(body["properties"]) == PAGE_KEYS, path
        parameters = {parameter["name"] for parameter in get.get("parameters", [])}
        assert {"cursor", "limit"} <= parameters, path
