"""Our own servers for tests over real HTTP: gunicorn as `make run` and production start it.

Django's development server does not understand a chunked request body (it leaves it on a
kept-alive connection and answers the chunk bytes as a request of their own); the judge of what
goes over the wire is gunicorn serving ``myloware.wsgi:application`` with our configuration, on
the test database, in its own process. Its settings come from the environment it is started
with (``monkeypatch.setenv`` before the fixture, or ``env``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from urllib.parse import quote

import httpx
from django.db import connection

from tests.workers.harness import free_port, wait_for


def current_database_url() -> str:
    """The URL of the test database this process uses (a Unix socket of the embedded server)."""
    params = connection.get_connection_params()
    url = f"postgresql://{quote(params['user'])}@/{quote(params['dbname'])}?host={quote(params['host'])}"
    if params.get("port"):
        url += f"&port={params['port']}"
    return url


def _answers(url: str) -> bool:
    """Any HTTP answer: the server is up (behind HTTPS settings it may be a redirect)."""
    try:
        return httpx.get(url, timeout=5).status_code < 500
    except httpx.TransportError:
        return False


@contextlib.contextmanager
def gunicorn(
    folder: Path, *, env: Mapping[str, str] | None = None, workers: int = 2, bind: str = "127.0.0.1"
) -> Iterator[str]:
    """Serve the test database with gunicorn until the block ends; yields its base URL."""
    port = free_port()
    log = folder / f"gunicorn-{port}.log"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "myloware.settings_test",
        "DATABASE_URL": current_database_url(),
        **(env or {}),
    }
    command = [
        sys.executable, "-m", "gunicorn", "myloware.wsgi:application",
        "--config", "python:myloware.gunicorn_conf",
        "--bind", f"{bind}:{port}", "--workers", str(workers), "--graceful-timeout", "5",
    ]  # fmt: skip
    with log.open("wb") as output:
        server = subprocess.Popen(command, env=environment, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603
    base = f"http://{bind}:{port}"
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
