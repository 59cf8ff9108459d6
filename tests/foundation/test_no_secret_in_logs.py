"""No secret reaches any log line: `make run` for real (gunicorn with its access and error logs,
the webhook loop, the django-q2 cluster, Django, httpx), every webhook scheme delivered valid and forged over HTTP,
secrets pasted into URLs, a malformed request, the demo pipeline end to end (its personas POST
their provider callbacks, Shotstack's with ?token=) — then everything the processes wrote is
searched for every secret value used. Both log formats: text (the default) and LOG_FORMAT=json,
whose lines carry more fields (the access line's request id and status, a log call's extras)."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from tests.foundation.test_make_run import _kill_tree, _processes_using
from tests.webhooks.conftest import fixture_bytes, sign_hmac_body, sign_kieai, sign_standard

pytestmark = pytest.mark.http

BASE_DIR = Path(settings.BASE_DIR)
MANAGE = [sys.executable, str(BASE_DIR / "manage.py")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _secret(label: str) -> str:
    # Letters and digits only, so no encoding in a URL or a log can hide it from the search.
    return f"{label}{secrets.token_hex(16)}"


def _wait_healthy(base: str, server: subprocess.Popen[str], seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"make run exited early:\n{server.communicate()[0][-4000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{base}/healthz did not answer 200 within {seconds} s")


def _raw_request(port: int, data: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        with contextlib.suppress(OSError):
            sock.recv(4096)


def _messages(output: str, log_format: str) -> list[str]:
    """The log lines as text: as they are, or each JSON line's message (plain lines kept)."""
    if log_format == "text":
        return output.splitlines()
    return [json.loads(line)["message"] if line.startswith("{") else line for line in output.splitlines()]


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_no_secret_value_appears_in_anything_make_run_and_the_demo_print(
    tmp_path: Path, log_format: str
) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    standard_key = secrets.token_bytes(24)
    values = {
        "kieai": _secret("kie"),
        "shotstack": _secret("shot"),
        "upload-post": _secret("upl"),
        "standard": "whsec_" + base64.b64encode(standard_key).decode(),
        "relay": _secret("relay"),  # token scheme, its token in an innocently named ?sig=
        "secret_key": _secret("djangokey"),
        "publish_credential": _secret("tiktok"),
    }
    env = {
        **os.environ,
        "PORT": str(port),
        "MYLOWARE_DATA_DIR": str(tmp_path / "var"),
        "WEB_CONCURRENCY": "1",
        "LOG_LEVEL": "DEBUG",  # the most talkative our loggers get
        "LOG_FORMAT": log_format,
        "SECRET_KEY": values["secret_key"],
        "WEBHOOK_SECRET_KIEAI": values["kieai"],
        "WEBHOOK_SECRET_SHOTSTACK": values["shotstack"],
        "WEBHOOK_SECRET_UPLOAD_POST": values["upload-post"],
        "WEBHOOK_STANDARD_PROVIDERS": "acme,relay",
        "WEBHOOK_SECRET_ACME": values["standard"],
        "WEBHOOK_SCHEME_RELAY": "token",
        "WEBHOOK_TOKEN_PARAM_RELAY": "sig",
        "WEBHOOK_SECRET_RELAY": values["relay"],
        "PUBLISH_CREDENTIAL_TIKTOK": values["publish_credential"],
        "LANGGRAPH_DEMO_BASE_URL": base,
    }
    for name in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "Q_SYNC"):
        env.pop(name, None)
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "myloware.run"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    demo_output = ""
    try:
        _wait_healthy(base, server)
        key = subprocess.run(  # noqa: S603 - prints the key by design; not a log, not searched
            [*MANAGE, "create_api_key", "log-test", "--scope", "runs"],
            cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60, check=True,
        ).stdout.strip().splitlines()[-1]  # fmt: skip
        values["api_key"] = key
        _deliver_every_scheme(base, values, standard_key)
        _raw_request(port, f"GET /api/v1/me?token={values['shotstack']} HTTP/1.1\r\nHost\r\n\r\n".encode())
        with httpx.Client(base_url=base, timeout=10) as client:
            client.get("/api/v1/me", params={"api_key": key}, headers={"X-API-Key": key})
            client.get("/api/v1/no-such-endpoint", params={"token": values["shotstack"]})
            client.get("/admin/login/", params={"next": "/admin/", "token": values["relay"]})
            client.get("/healthz", headers={"Referer": f"{base}/?sig={values['relay']}"})
        demo = subprocess.run(  # noqa: S603
            [*MANAGE, "demo_pipeline", "--project", "aismr", "--auto-approve", "--base-url", base],
            cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        demo_output = demo.stdout + demo.stderr
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
        try:
            output, _ = server.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            _kill_tree(server)
            output, _ = server.communicate()
        for leftover in _processes_using(tmp_path):
            leftover.kill()
        _stop_database(tmp_path)

    assert "ended published" in demo_output, demo_output + output[-6000:]
    # The logs were really there: gunicorn's access log with the redacted callback URLs, the
    # webhook loop's and the cluster's logs, httpx's request lines in the demo.
    access_log = [line for line in _messages(output, log_format) if '" 200 ' in line or '" 401 ' in line]
    assert any('"POST /api/v1/webhooks/shotstack?run_id=run_logcheck&token=[redacted] HTTP/1.1" 200' in line
               for line in access_log), output[-3000:]  # fmt: skip
    assert any('"POST /api/v1/webhooks/relay?sig=[redacted] HTTP/1.1" 200' in line for line in access_log)
    assert any('"GET /api/v1/me?api_key=[redacted] HTTP/1.1" 200' in line for line in access_log)
    assert "webhook loop: processed" in output  # the loop ran the callbacks
    if log_format == "json":
        assert sum(line.startswith('{"time": ') for line in output.splitlines()) > 50
    everything = output + demo_output
    # the personas (django-q2 tasks) POST their stand-in provider callbacks, ?token= included
    assert "HTTP Request: POST" in everything and "webhooks/shotstack?run_id=" in everything
    leaked = {
        name: value
        for name, value in {**values, "standard key": values["standard"].removeprefix("whsec_")}.items()
        if value in everything
    }
    assert leaked == {}, [line for line in everything.splitlines() if any(v in line for v in leaked.values())]


def _deliver_every_scheme(base: str, values: dict[str, str], standard_key: bytes) -> None:
    run = "run_logcheck"
    kieai = fixture_bytes("kieai_success")
    upload = fixture_bytes("upload_post_completed")
    standard = fixture_bytes("standard_event")
    forged_standard = sign_standard(standard, secret="whsec_" + base64.b64encode(b"x" * 24).decode())
    deliveries: list[tuple[str, bytes, dict[str, str], dict[str, str], int]] = [
        # kie.ai: signed, forged, and a secret pasted into the callback URL by mistake
        ("kieai", kieai, sign_kieai(kieai, secret=values["kieai"]), {"run_id": run}, 200),
        ("kieai", kieai, sign_kieai(kieai, secret="wrong-secret"), {"run_id": run}, 401),
        ("kieai", kieai, sign_kieai(kieai, secret=values["kieai"]), {"token": values["kieai"]}, 200),
        # Shotstack: the token is the URL
        ("shotstack", fixture_bytes("shotstack_edit_done"), {}, {"run_id": run, "token": values["shotstack"]}, 200),
        ("shotstack", fixture_bytes("shotstack_edit_done"), {}, {"run_id": run, "token": "not-it"}, 401),
        # upload-post: HMAC of the body
        ("upload-post", upload, sign_hmac_body(upload, secret=values["upload-post"]), {"run_id": run}, 200),
        ("upload-post", upload, sign_hmac_body(upload, secret="wrong"), {}, 401),
        # Standard Webhooks: valid, forged, and the whsec_ secret in the query
        ("acme", standard, sign_standard(standard, secret=values["standard"]), {}, 200),
        ("acme", standard, forged_standard, {"secret": values["standard"]}, 401),
        # token scheme with a custom parameter name: only the literal-value redaction catches it
        ("relay", standard, {}, {"sig": values["relay"]}, 200),
        ("relay", standard, {}, {"sig": values["relay"] + "x"}, 401),
        ("nobody", standard, {}, {"token": values["shotstack"]}, 404),
    ]  # fmt: skip
    with httpx.Client(base_url=base, timeout=10) as client:
        for provider, body, headers, params, expected in deliveries:
            response = client.post(
                f"/api/v1/webhooks/{provider}",
                content=body,
                params=params,
                headers={"Content-Type": "application/json", **headers},
            )
            assert response.status_code == expected, (provider, params, response.text)
            assert all(value not in json.dumps(response.json()) for value in values.values())


def _stop_database(tmp_path: Path) -> None:
    subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import sys; from pathlib import Path; from myloware.db import stop_embedded_server;"
         " stop_embedded_server(Path(sys.argv[1]))", str(tmp_path / "var" / "pgdata")],
        cwd=BASE_DIR, check=False, timeout=60,
    )  # fmt: skip
