"""HTTP framing at the real server: what gunicorn does before Django sees a request.

The bytes are written to a socket by hand, because no client library sends these requests: a
chunked body followed by a second request on the same kept-alive connection, and requests that
gunicorn itself refuses (a NUL in a header, a request line over its limit). Under /api/ every
answer is JSON, including gunicorn's own, and secrets in a refused request line stay out of it.
"""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.http, pytest.mark.django_db(transaction=True)]


def _exchange(base_url: str, data: bytes) -> bytes:
    """Send ``data`` and read until the server closes the connection (or is silent for 5 s)."""
    address = urlsplit(base_url)
    with socket.create_connection((address.hostname, address.port), timeout=5) as sock:
        sock.sendall(data)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except TimeoutError:
            pass
    return received


def _responses(raw: bytes) -> list[tuple[str, dict[str, str], bytes]]:
    """Split a byte stream into (status line, headers, body) by Content-Length."""
    responses = []
    while raw:
        head, _, rest = raw.partition(b"\r\n\r\n")
        status, *lines = head.decode("latin-1").split("\r\n")
        headers = {name.lower(): value.strip() for name, value in (line.split(":", 1) for line in lines)}
        length = int(headers["content-length"])
        responses.append((status, headers, rest[:length]))
        raw = rest[length:]
    return responses


def _request(method: str, target: str, *headers: str, body: bytes = b"") -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def test_a_chunked_body_is_read_whole_and_nothing_after_it_is_garbage(
    gunicorn_url: str, live_key: str
) -> None:
    body = b"x-schemathesis-additional=null"
    chunked = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    first = _request(
        "POST",
        "/api/v1/webhooks/no-such-provider",
        "Content-Type: application/x-www-form-urlencoded",
        "Transfer-Encoding: chunked",
        body=chunked,
    )
    second = _request("GET", "/api/v1/me", f"X-API-Key: {live_key}", "Connection: close")

    answers = _responses(_exchange(gunicorn_url, first + second))

    # Every byte that came back belongs to a well-framed JSON answer: the chunk bytes were not
    # answered as a request of their own. gunicorn's sync workers close after each answer (and
    # say so); a server that keeps the connection must answer the second request.
    statuses = [status.split(" ")[1] for status, _, _ in answers]
    assert statuses in (["404"], ["404", "200"]), answers
    assert len(answers) == 2 or answers[0][1]["connection"] == "close", answers
    for _, headers, content in answers:
        assert headers["content-type"].startswith("application/json")
        json.loads(content)
    assert json.loads(answers[0][2])["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (_request("GET", "/api/v1/runs", "X-Bad: a\x00b"), 400),
        (_request("GET", "/api/v1/runs?token=framing-secret-123&q=" + "x" * 9000), 414),
        (b"NOT-HTTP\r\n\r\n", 400),
    ],
    ids=["nul-in-header", "request-line-too-long", "malformed-request-line"],
)
def test_requests_gunicorn_refuses_get_the_json_error_shape(
    gunicorn_url: str, request_bytes: bytes, status: int
) -> None:
    raw = _exchange(gunicorn_url, request_bytes)

    [(status_line, headers, content)] = _responses(raw)
    assert status_line.startswith(f"HTTP/1.1 {status} "), raw[:300]
    assert headers["content-type"] == "application/json"
    assert headers["connection"] == "close"
    error = json.loads(content)["error"]
    assert error["status"] == status and error["code"] and error["message"]
    assert b"framing-secret-123" not in raw
