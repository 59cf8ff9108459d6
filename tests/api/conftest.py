"""The API over real HTTP on the test database.

``live_server`` (pytest-django's threaded WSGI server, in this process, so a test's settings apply)
for tests of our code; ``gunicorn_url`` (gunicorn as `make run` and production start it, in its
own process) where the judge is the HTTP framing itself: Django's development server does not
understand a chunked request body, leaves it on a kept-alive connection and answers the chunk
bytes as a request of their own, with an HTML page and no status line.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from django.db import connection

from myloware.api.models import ALL_SCOPES
from myloware.api.services import api_key_create
from tests.workers.harness import free_port, wait_for


@pytest.fixture
def live_key(transactional_db: None) -> str:
    return api_key_create(name="edge-tester", scopes=ALL_SCOPES)[1]


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def gunicorn_url(transactional_db: None, tmp_path: Path) -> Iterator[str]:
    """Base URL of gunicorn serving the test database with our gunicorn configuration."""
    params = connection.get_connection_params()
    database_url = (
        f"postgresql://{quote(params['user'])}@/{quote(params['dbname'])}?host={quote(params['host'])}"
    )
    if params.get("port"):
        database_url += f"&port={params['port']}"
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "myloware.settings_test", "DATABASE_URL": database_url}
    command = [
        sys.executable, "-m", "gunicorn", "myloware.wsgi:application",
        "--config", "python:myloware.gunicorn_conf",
        "--bind", f"127.0.0.1:{port}", "--workers", "2", "--graceful-timeout", "5",
    ]  # fmt: skip
    with log.open("wb") as output:
        server = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(
            lambda: server.poll() is not None or _answers(f"{base}/api/schema/"), seconds=60, what="gunicorn"
        )
        assert server.poll() is None, log.read_text()[-5_000:]
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def http(live_server: Any, live_key: str) -> Iterator[httpx.Client]:
    """An HTTP client of the live server, authenticated with an API key."""
    with httpx.Client(base_url=live_server.url, headers={"X-API-Key": live_key}, timeout=30) as client:
        yield client


def assert_json_error(response: httpx.Response, status: int) -> dict[str, Any]:
    """The one JSON error shape with ``status``; returns the error object."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["Content-Type"].startswith("application/json"), response.text[:200]
    error = response.json()["error"]
    assert error["status"] == status and error["code"] and error["message"]
    return error
