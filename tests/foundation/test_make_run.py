"""`make run` for real (supervisord and all it runs): serves, refuses a second instance, prints the
operator password once, stops on SIGTERM under webhook load within 10 s leaving no process behind
(its faults: tests/workers/test_make_run_faults.py)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil
import pytest
from django.conf import settings

pytestmark = pytest.mark.http

BASE_DIR = Path(settings.BASE_DIR)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen[str], seconds: float = 120) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return response
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer 200 within {seconds} s")


def _read_until(process: subprocess.Popen[str], text: str) -> str:
    """``process``'s output up to and including the first line that contains ``text``."""
    assert process.stdout is not None
    read = ""
    for line in process.stdout:
        read += line
        if text in line:
            return read
    raise AssertionError(f"the output ended without {text!r}: {read}")


def _processes_using(path: Path) -> list[psutil.Process]:
    """Processes started for this test's data folder (supervisord and its programs, postgres)."""
    found = []
    for process in psutil.process_iter(["cmdline", "environ"]):
        with contextlib.suppress(psutil.Error):
            if str(path) in " ".join(process.info["cmdline"] or []) or str(path) in (
                (process.info["environ"] or {}).get("MYLOWARE_DATA_DIR", "")
            ):
                found.append(process)
    return found


def _post_webhooks(port: int, seconds: float) -> None:
    """Valid deliveries, one after another, for ``seconds`` (what happens to them is not the point)."""
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                client.post(
                    "/api/v1/webhooks/loadtest?token=load-test-token-0123", json={"n": time.monotonic()}
                )


def _kill_tree(process: subprocess.Popen[str]) -> None:
    """Kill supervisord and everything it started (gunicorn, qcluster and their workers).

    The programs run in process groups of their own, so killing supervisord alone would orphan them.
    """
    try:
        tree = [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        tree = []
    for member in tree:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.kill()
    psutil.wait_procs(tree, timeout=30)
    process.wait(timeout=30)


def test_make_run_serves_refuses_a_second_instance_and_stops_on_sigterm_under_load(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "MYLOWARE_DATA_DIR": str(tmp_path / "var"),
        "WEB_CONCURRENCY": "1",
        "WEBHOOK_STANDARD_PROVIDERS": "loadtest",
        "WEBHOOK_SCHEME_LOADTEST": "token",
        "WEBHOOK_SECRET_LOADTEST": "load-test-token-0123",
    }
    for name in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "Q_SYNC", "MYLOWARE_LOAD_DEV_ENV"):
        env.pop(name, None)
    command = [sys.executable, "-m", "myloware.run"]
    server = subprocess.Popen(
        command, cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )  # noqa: S603
    try:
        started = _read_until(server, "a demo run, from another shell here: ")
        health = _wait_healthy(f"http://127.0.0.1:{port}/healthz", server)
        assert health.json() == {"status": "ok"}
        assert httpx.get(f"http://127.0.0.1:{port}/admin/login/", timeout=5).status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/api/docs/", timeout=5).status_code == 200
        password_file = tmp_path / "var" / "operator-password.txt"
        assert password_file.read_text().splitlines()[0] == "operator"
        assert oct(password_file.stat().st_mode & 0o777) == "0o600"
        dev_env = (tmp_path / "var" / "dev.env").read_text()
        assert "WEBHOOK_SECRET_KIEAI=" in dev_env and "WEBHOOK_SECRET_SHOTSTACK=" in dev_env

        # The banner's demo command, from another shell that knows only the data folder, reaches
        # this server wherever it listens.
        demo = started.rsplit("here: ", 1)[1].split() + ["--auto-approve", "--timeout", "60"]
        assert demo[1:4] == ["manage.py", "demo_pipeline", "--project"]
        shell = {k: v for k, v in env.items() if k != "PORT"}
        finished = subprocess.run(demo, cwd=BASE_DIR, env=shell, capture_output=True, text=True, timeout=300)  # noqa: S603
        assert finished.returncode == 0, finished.stdout + finished.stderr
        assert "ended published" in finished.stdout

        second = subprocess.run(command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60)  # noqa: S603
        assert second.returncode == 1
        assert "already running" in second.stderr

        load = threading.Thread(target=_post_webhooks, args=(port, 5.0))
        load.start()
        time.sleep(1)  # under load
        stopping = time.monotonic()
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=60)
        stopped_in = time.monotonic() - stopping
        load.join()
        assert server.returncode == 0, output
        assert stopped_in < 10, output[-3000:]
        assert "stopped: postgres" in output  # the database last, cleanly
        assert not (tmp_path / "var" / "pgdata" / "postmaster.pid").exists()
        # Processes SIGKILLed by the supervisor's last step may take a moment to be gone.
        _, alive = psutil.wait_procs(_processes_using(tmp_path), timeout=10)
        assert [process.info["cmdline"] for process in alive] == [], "make run left processes behind"
        # The password was printed once, on the first start only.
        assert (started + output).count(password_file.read_text().splitlines()[1]) == 1
    finally:
        _kill_tree(server)
        for leftover in _processes_using(tmp_path):
            leftover.kill()
        subprocess.run(  # noqa: S603
            [sys.executable, "-c", "import sys; from pathlib import Path; from myloware.db import stop_embedded_server;"
             " stop_embedded_server(Path(sys.argv[1]))", str(tmp_path / "var" / "pgdata")],
            cwd=BASE_DIR, check=False, timeout=60,
        )  # fmt: skip
