"""Fixtures of the socials tests: a local HTTP server standing in for upload-post and a video
host, accounts, running runs with a final render, and a helper that publishes and runs the job."""

from __future__ import annotations

import contextlib
import email.parser
import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from artifacts.services import artifact_create
from socials import services
from socials.models import Social

API_KEY_ENV = "PUBLISH_CREDENTIAL_MLW_TEST_UPLOAD_POST"
API_KEY = "up-live-SECRET-0123456789abcdef"
STATUS_PATH = "/api/uploadposts/status"
VIDEO_BYTES = b"\x00\x00\x00\x18ftypmp42" + b"v" * 2048


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    fields: dict[str, list[str]]
    files: dict[str, bytes]


@dataclass
class FakeServer:
    """upload-post (POST /api/upload) and a video host (GET /videos/...) on 127.0.0.1."""

    host: str = "127.0.0.1"
    port: int = 0
    # Each upload pops the next scripted answer: (status, json body, delay seconds).
    upload_script: list[tuple[int, Any, float]] = field(default_factory=list)
    videos: dict[str, tuple[bytes, dict[str, str]]] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # GET /api/uploadposts/status?request_id=X: scripted answers per request id; the last one
    # repeats; none → {"status": "pending"}.
    status_script: dict[str, list[tuple[int, Any, float]]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def video_url(self, name: str = "final.mp4", body: bytes = VIDEO_BYTES, **headers: str) -> str:
        self.videos[f"/videos/{name}"] = (body, headers)
        return f"{self.url}/videos/{name}"

    def uploads(self) -> list[Recorded]:
        return [r for r in self.requests if r.path == "/api/upload"]

    def answer(self, status: int, body: Any, delay: float = 0.0) -> None:
        self.upload_script.append((status, body, delay))

    def answer_status(self, request_id: str, status: int, body: Any, delay: float = 0.0) -> None:
        self.status_script.setdefault(request_id, []).append((status, body, delay))

    def status_requests(self, request_id: str | None = None) -> list[Recorded]:
        return [
            r
            for r in self.requests
            if r.path.startswith(STATUS_PATH)
            and (request_id is None or f"request_id={urllib.parse.quote(request_id)}" in r.path)
        ]

    def _status_answer(self, path: str) -> tuple[int, Any, float]:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
        request_id = (query.get("request_id") or [""])[0]
        with self.lock:
            script = self.status_script.get(request_id) or []
            if not script:
                return 200, {"request_id": request_id, "status": "pending", "results": []}, 0.0
            return script.pop(0) if len(script) > 1 else script[0]


def _handler(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def do_GET(self) -> None:  # noqa: N802
            with server.lock:
                server.requests.append(Recorded("GET", self.path, dict(self.headers), {}, {}))
            if self.path.startswith(STATUS_PATH):
                status, body, delay = server._status_answer(self.path)
                if delay:
                    time.sleep(delay)
                self._send(status, json.dumps(body).encode(), "application/json")
                return
            if self.path in server.redirects:
                self.send_response(302)
                self.send_header("Location", server.redirects[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.path not in server.videos:
                self._send(404, b"missing")
                return
            body, headers = server.videos[self.path]
            if headers.get("X-No-Length"):
                # HTTP/1.0-style body: no Content-Length, ends when the connection closes.
                self.send_response(200)
                self.send_header("Content-Type", "video/mp4")
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True
                return
            self._send(200, body, "video/mp4", headers.get("Content-Length"))

        def do_POST(self) -> None:  # noqa: N802
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            fields, files = _parse_multipart(self.headers.get("Content-Type", ""), raw)
            with server.lock:
                server.requests.append(Recorded("POST", self.path, dict(self.headers), fields, files))
                script = server.upload_script.pop(0) if server.upload_script else None
            if script is None:
                platform = (fields.get("platform[]") or ["tiktok"])[0]
                script = (
                    200,
                    {
                        "success": True,
                        "results": {
                            platform: {
                                "success": True,
                                "url": f"https://www.tiktok.com/@{fields['user'][0]}/video/{len(server.uploads())}",
                            }
                        },
                    },
                    0.0,
                )
            status, body, delay = script
            if delay:
                time.sleep(delay)
            self._send(status, json.dumps(body).encode(), "application/json")

        def _send(
            self, status: int, body: bytes, ctype: str = "text/plain", length: str | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", length or str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

    return Handler


def _parse_multipart(content_type: str, raw: bytes) -> tuple[dict[str, list[str]], dict[str, bytes]]:
    if not content_type.startswith("multipart/"):
        return {}, {}
    message = email.parser.BytesParser().parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
    fields: dict[str, list[str]] = {}
    files: dict[str, bytes] = {}
    for part in message.get_payload():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if part.get_filename():
            files[name] = payload
        else:
            fields.setdefault(name, []).append(payload.decode())
    return fields, files


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    server = FakeServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
    httpd.daemon_threads = True
    server.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def publish_settings(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Publishing against local servers: loopback allowed explicitly, no backoff waits."""
    settings.UPLOAD_POST_BASE_URL = "http://127.0.0.1:9"  # tests that upload point it at fake_server
    settings.UPLOAD_POST_MAX_RETRIES = 2
    settings.UPLOAD_POST_BACKOFF_MS = 0
    settings.UPLOAD_POST_TIMEOUT = 5
    settings.UPLOAD_POST_ASYNC = False
    settings.SOCIALS_VIDEO_ALLOWED_HOSTS = ["127.0.0.1", "cdn.example.com"]
    settings.SOCIALS_VIDEO_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.SOCIALS_VIDEO_MAX_BYTES = 1024 * 1024
    settings.SOCIALS_DEFAULT_RATE_LIMIT_WINDOW = 0
    settings.SOCIALS_FAKE_PUBLISHER = True
    settings.DEBUG = False
    # Most tests are about publishing, not gates; gate tests switch the gate back on.
    settings.GATE_DISABLED = ["prepublish"]
    monkeypatch.setenv(API_KEY_ENV, API_KEY)
    return settings


@pytest.fixture
def upload_post(fake_server: FakeServer, publish_settings: Any) -> FakeServer:
    publish_settings.UPLOAD_POST_BASE_URL = fake_server.url
    return fake_server


@pytest.fixture
def make_social(db: None) -> Callable[..., Social]:
    counter = iter(range(1, 10_000))

    def _make(project: str | None = "aismr", primary: bool = True, **fields: Any) -> Social:
        fields.setdefault("provider", "tiktok")
        fields.setdefault("account_id", f"account{next(counter)}")
        fields.setdefault("credential_ref", f"env:{API_KEY_ENV}")
        social = services.social_create(actor="test", **fields)
        if project:
            services.project_social_link(
                project=project, social_id=social.pk, is_primary=primary, actor="test"
            )
        return social

    return _make


@pytest.fixture
def make_running_run(make_run: Callable[..., Any]) -> Callable[..., Any]:
    def _make(project: str = "aismr", render_url: str | None = None, run_id: str | None = None) -> Any:
        run = make_run(project=project, run_id=run_id, actor="test")
        if render_url:
            artifact_create(
                run_id=run.run_id, type="render.url", url=render_url, provider="shotstack", persona="alex"
            )
        return run

    return _make


@pytest.fixture
def publish(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Request a publication and run its job (queued on commit; tasks are synchronous here)."""

    def _publish(run_id: str, **kwargs: Any) -> tuple[Any, bool]:
        kwargs.setdefault("actor", "test")
        with django_capture_on_commit_callbacks(execute=True):
            publication, created = services.publication_request(run_id=run_id, **kwargs)
        publication.refresh_from_db()
        return publication, created

    return _publish
