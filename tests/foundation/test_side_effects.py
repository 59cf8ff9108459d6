"""Importing settings starts nothing; a test session that starts the embedded server stops it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from django.conf import settings

pytestmark = pytest.mark.crash

BASE_DIR = Path(settings.BASE_DIR)


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ}
    for name in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "Q_SYNC"):
        env.pop(name, None)
    return {**env, "MYLOWARE_DATA_DIR": str(data_dir), **extra}


def _processes_using(path: Path) -> list[str]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if str(path) in cmdline:
            found.append(f"{process.pid}: {cmdline}")
    return found


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300)  # noqa: S603


def test_importing_settings_and_checking_migrations_start_no_database(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    env = _env(data_dir, DJANGO_SETTINGS_MODULE="myloware.settings")
    setup = "import django; django.setup(); from django.conf import settings; print(settings.DATABASES)"
    for args in (
        [sys.executable, "-c", setup],
        [sys.executable, "manage.py", "check"],
        [
            sys.executable,
            "manage.py",
            "makemigrations",
            "--check",
            "--dry-run",
            "--settings=myloware.settings_nodb",
        ],
    ):
        result = _run(args, env)
        assert result.returncode == 0, result.stderr
    assert not (data_dir / "pgdata").exists()
    assert _processes_using(data_dir) == []

    # The same probe sees a command that does touch the database start the server.
    result = _run([sys.executable, "manage.py", "showmigrations", "runs"], env)
    try:
        assert result.returncode == 0, result.stderr
        assert (data_dir / "pgdata" / "postmaster.pid").exists()
        assert _processes_using(data_dir / "pgdata")
    finally:
        stop = "import sys; from pathlib import Path; from myloware.db import stop_embedded_server as s; s(Path(sys.argv[1]))"
        _run([sys.executable, "-c", stop, str(data_dir / "pgdata")], env)
    assert _processes_using(data_dir) == []


def test_a_failing_test_session_stops_the_server_it_started(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    probe = Path(__file__).parent / "probe_failing_session.py"
    env = _env(data_dir, MYLOWARE_TEST_DB="probe")
    assert _processes_using(data_dir) == []
    # Its own temporary folder: /tmp/pytest-of-<user> is shared with every other session on the
    # machine, and their clean-ups would race with this one's.
    inner = ["-q", "-p", "no:randomly", "-p", "no:cacheprovider", f"--basetemp={tmp_path / 'probe-tmp'}"]
    result = _run([sys.executable, "-m", "pytest", *inner, str(probe)], env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "failing on purpose" in result.stdout
    assert (data_dir / "pgdata" / "PG_VERSION").exists(), "the probe never started the server"
    assert not (data_dir / "pgdata" / "postmaster.pid").exists()
    assert _processes_using(data_dir) == []
