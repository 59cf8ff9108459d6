"""Input that would reach PostgreSQL or Python's parser and fail there, through the whole HTTP stack
(the WSGI application, tests/api/conftest.py): the API's one input edge answers each with a JSON 4xx
that names the field, never a 500 or an HTML debug page.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from tests.api.conftest import assert_json_error

NUL_QUERIES = [
    ("/api/v1/runs?project=%00", "project"),
    ("/api/v1/runs/stats?project=%00", "project"),
    ("/api/v1/artifacts?type=%00", "type"),
    ("/api/v1/artifacts?persona=%00", "persona"),
    ("/api/v1/artifacts?provider=%00", "provider"),
    ("/api/v1/kb/documents?path=%00", "path"),
    ("/api/v1/webhooks/events?run_id=%00", "run_id"),
    ("/api/v1/webhooks/dlq?provider=%00", "provider"),
    ("/api/v1/runs?x%00=1", "query parameter name"),
]
NUL_PATHS = [
    ("GET", "/api/v1/runs/a%00b", "run_id"),
    ("GET", "/api/v1/runs/a%00b/timeline", "run_id"),
    ("GET", "/api/v1/runs/a%00b/gates", "run_id"),
    ("GET", "/api/v1/runs/a%00b/checkpoint", "run_id"),
    ("GET", "/api/v1/runs/a%00b/publications", "run_id"),
    ("POST", "/api/v1/runs/a%00b/publish", "run_id"),
    ("GET", "/api/v1/projects/a%00b/publish-target", "project"),
    ("POST", "/api/v1/runs/r1/gates/%00/decision", "gate"),
]


@pytest.mark.parametrize(("url", "field"), NUL_QUERIES)
def test_nul_in_a_query_parameter_is_422_naming_it(http: httpx.Client, url: str, field: str) -> None:
    error = assert_json_error(http.get(url), 422)
    assert error["details"]["field"] == field


@pytest.mark.parametrize(("method", "url", "field"), NUL_PATHS)
def test_nul_in_a_path_segment_is_422_naming_it(
    http: httpx.Client, method: str, url: str, field: str
) -> None:
    error = assert_json_error(http.request(method, url, json={}), 422)
    assert error["details"]["field"] == field


def _run(http: httpx.Client) -> str:
    created = http.post("/api/v1/runs", json={"project": "aismr", "status": "pending"})
    assert created.status_code == 201, created.text
    return created.json()["run_id"]


@pytest.mark.parametrize("bad", ["\u0000", "\ud800", "ok\udfffok"])
@pytest.mark.parametrize("as_key", [False, True])
@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("POST", "/api/v1/runs", "payload"),
        ("PATCH", "/api/v1/runs/{run}", "result"),
        ("PUT", "/api/v1/runs/{run}/checkpoint", "state"),
        ("POST", "/api/v1/runs/{run}/artifacts", "metadata"),
    ],
)
def test_nul_or_lone_surrogate_in_a_json_body_is_422_naming_the_field(
    http: httpx.Client, method: str, path: str, field: str, bad: str, as_key: bool
) -> None:
    run = _run(http)
    inner: dict[str, Any] = {bad: 1} if as_key else {"note": bad}
    body: dict[str, Any] = {field: {"deep": inner}}
    if field == "payload":
        body["project"] = "aismr"
    if field == "metadata":
        body["type"] = "idea"
    # json.dumps escapes both as \u0000 / \ud800: valid JSON text that Python decodes to str.
    raw = json.dumps(body).encode()
    response = http.request(
        method, path.format(run=run), content=raw, headers={"Content-Type": "application/json"}
    )
    error = assert_json_error(response, 422)
    expected = f"key of {field}.deep" if as_key else f"{field}.deep.note"
    assert error["details"]["field"] == expected


def test_json_nested_100000_deep_is_422_not_a_recursion_error(http: httpx.Client) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    body = '{"project": "aismr", "payload": {"x": ' + deep + "}}"
    response = http.post("/api/v1/runs", content=body, headers={"Content-Type": "application/json"})
    assert assert_json_error(response, 422)["details"]["max_depth"] == 64


def test_json_over_the_depth_limit_is_422_naming_where(http: httpx.Client) -> None:
    nested: Any = 1
    for _ in range(70):
        nested = {"a": nested}
    error = assert_json_error(http.post("/api/v1/runs", json={"project": "aismr", "payload": nested}), 422)
    assert error["details"]["field"].startswith("payload.a.a")


def test_a_large_json_body_is_answered_in_json(http: httpx.Client) -> None:
    # 2.6 MB is above Django's DATA_UPLOAD_MAX_MEMORY_SIZE (an HTML 400) and below our limit.
    body = {"project": "aismr", "payload": {"blob": "x" * 2_600_000}}
    response = http.post("/api/v1/runs", json=body)
    assert response.status_code == 201 and response.headers["Content-Type"] == "application/json"


def test_a_body_over_the_size_limit_is_413_in_the_json_shape(http: httpx.Client, settings: Any) -> None:
    settings.API_JSON_MAX_BYTES = 100_000
    body = {"project": "aismr", "payload": {"blob": "x" * 100_001}}
    error = assert_json_error(http.post("/api/v1/runs", json=body), 413)
    assert error["details"]["limit_bytes"] == 100_000


def test_nan_in_a_json_body_is_400(http: httpx.Client) -> None:
    body = '{"project": "aismr", "payload": {"x": NaN}}'
    response = http.post("/api/v1/runs", content=body, headers={"Content-Type": "application/json"})
    assert_json_error(response, 400)


@pytest.mark.parametrize("param", ["created_after", "created_before"])
@pytest.mark.parametrize(
    "value",
    [
        "2026-13-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-01-01T25:00:00Z",
        "2026-01-01T00:61:00Z",
        "2026-01-01T00:00:00+16:99",
        "2026-01-01T00:00:00+99:00",
        "2026-01-01T00:00:00+24:00",
        "2026-01-01T00:00:00",
        "yesterday",
        "",
        "２０２６-01-01T00:00:00Z",
    ],
)
def test_impossible_or_unzoned_times_are_422(http: httpx.Client, param: str, value: str) -> None:
    error = assert_json_error(http.get("/api/v1/runs", params={param: value}), 422)
    assert error["details"]["field"] == param


@pytest.mark.parametrize(
    "value",
    [
        "2026-01-01T00:00:00+16:00",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-23:59",
        "2016-12-31T23:59:60Z",
    ],
)
def test_extreme_but_real_times_are_accepted(http: httpx.Client, value: str) -> None:
    assert http.get("/api/v1/runs", params={"created_after": value}).status_code == 200
    assert http.get("/api/v1/runs/stats", params={"since": value}).status_code == 200


def _b64(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


LISTS = [
    "/api/v1/runs",
    "/api/v1/artifacts",
    "/api/v1/runs/r1/artifacts",
    "/api/v1/webhooks/events",
    "/api/v1/webhooks/dlq",
    "/api/v1/socials",
    "/api/v1/kb/documents",
    "/api/v1/runs/r1/publications",
]
CURSORS = [
    _b64(["2026-01-01T00:00:00+00:00", "\u0000"]),
    _b64(["0001-01-01T00:00:00-23:59", "x"]),
    _b64(["2026-01-01T00:00:00+00:00", "not-a-uuid"]),
    "garbage",
    "",
    "1~\u0000",
    "99999999999999999999~x",
    "1~",
    "1~a b",
]


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("cursor", CURSORS)
def test_a_crafted_cursor_is_the_same_422_on_every_list(http: httpx.Client, url: str, cursor: str) -> None:
    if url.endswith("/artifacts") and url != "/api/v1/artifacts":
        _run_with_id(http, "r1")
    error = assert_json_error(http.get(url, params={"cursor": cursor}), 422)
    assert error["details"]["field"] == "cursor"


def _run_with_id(http: httpx.Client, run_id: str) -> None:
    http.post("/api/v1/runs", json={"project": "aismr", "run_id": run_id})


@pytest.mark.parametrize("url", LISTS)
def test_every_list_has_the_one_page_shape_and_limit_rule(http: httpx.Client, url: str) -> None:
    _run_with_id(http, "r1")
    page = http.get(url, params={"limit": 1})
    assert page.status_code == 200, page.text
    assert set(page.json()) == {"results", "next_cursor", "next"}
    for limit in (0, 501, "x"):
        assert_json_error(http.get(url, params={"limit": limit}), 422)


def test_a_next_cursor_walks_every_list_without_gaps(http: httpx.Client) -> None:
    made = {_run_id for _run_id in (_run(http) for _ in range(5))}
    seen: list[str] = []
    url: str | None = "/api/v1/runs?limit=2"
    while url:
        page = http.get(url).json()
        seen += [row["run_id"] for row in page["results"]]
        url = page["next"]
    assert set(seen) == made and len(seen) == len(made)


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("accept", ["application/json", "text/html", "*/*"])
@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("GET", "/api/v1/socials/not-a-uuid", 404),
        ("GET", "/api/v1/publications/m", 404),
        ("POST", "/api/v1/webhooks/dlq/x/replay", 404),
        ("DELETE", "/api/v1/kb/documents/null,null", 404),
        ("GET", "/api/v1/no-such-endpoint", 404),
        ("GET", "/api/elsewhere", 404),
        ("DELETE", "/api/v1/runs", 405),
        ("PUT", "/api/v1/me", 405),
    ],
)
def test_errors_under_api_are_json_whatever_accept_and_debug(
    http: httpx.Client, settings: Any, debug: bool, accept: str, method: str, url: str, status: int
) -> None:
    settings.DEBUG = debug
    assert_json_error(http.request(method, url, headers={"Accept": accept}), status)


@pytest.mark.parametrize("debug", [False, True])
def test_a_suspicious_request_is_a_json_400(http: httpx.Client, settings: Any, debug: bool) -> None:
    settings.DEBUG = debug
    assert_json_error(http.get("/api/v1/runs", headers={"Host": "evil.example"}), 400)


def test_malformed_json_is_a_json_400(http: httpx.Client) -> None:
    response = http.post("/api/v1/runs", content=b"{", headers={"Content-Type": "application/json"})
    assert_json_error(response, 400)


def test_unknown_fields_and_wrong_json_types_are_400_naming_them(http: httpx.Client) -> None:
    error = assert_json_error(http.post("/api/v1/runs", json={"project": "aismr", "projcet": "x"}), 400)
    assert error["details"] == {"projcet": "Unknown field."}
    error = assert_json_error(http.post("/api/v1/socials", json={"provider": 2211, "account_id": "a"}), 400)
    assert error["details"] == {"provider": "Must be a string."}


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/kb/documents?pending=maybe", "pending"),
        ("/api/v1/webhooks/dlq?due=maybe", "due"),
        ("/api/v1/webhooks/dlq?dead=", "dead"),
        ("/api/v1/webhooks/events?status=AAA", "status"),
        ("/api/v1/webhooks/events?signature_status=", "signature_status"),
        ("/api/v1/runs?status=", "status"),
    ],
)
def test_booleans_and_enums_in_queries_are_read_one_way(http: httpx.Client, url: str, field: str) -> None:
    error = assert_json_error(http.get(url), 422)
    assert field in error["message"]
