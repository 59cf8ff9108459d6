"""Configuration mistakes get one clear line; the embedded server is safe to start concurrently."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from myloware.db import parse_database_url, start_embedded_server, stop_embedded_server

BASE_DIR = Path(settings.BASE_DIR)


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **env}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        capture_output=True, text=True, env=environment, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    "url", ["mysql://u:p@h/db", "postgresql://u:p@host:notaport/db", "postgresql://host/", "not a url"]
)
def test_malformed_database_url_is_one_line_naming_the_variable(url: str) -> None:
    result = _manage("check", DATABASE_URL=url)
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_dev_secret_key_is_refused_when_debug_is_off() -> None:
    result = _manage("check", DEBUG="0", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_database_url_with_socket_host_and_options_parses() -> None:
    config = parse_database_url("postgresql://app:s%40cret@/myloware?host=/run/pg&sslmode=disable")
    assert (config["USER"], config["PASSWORD"], config["HOST"], config["NAME"]) == (
        "app", "s@cret", "/run/pg", "myloware",
    )  # fmt: skip
    assert config["OPTIONS"] == {"sslmode": "disable"}


def test_embedded_server_in_an_unusable_folder_fails_with_a_clear_message(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ImproperlyConfigured, match="embedded database folder"):
        start_embedded_server(blocker / "pgdata")


def test_several_processes_can_start_one_embedded_server_at_once(tmp_path: Path) -> None:
    datadir = tmp_path / "pgdata"
    code = (
        "import sys; from pathlib import Path; from myloware.db import start_embedded_server; "
        "print(start_embedded_server(Path(sys.argv[1])))"
    )

    def start(_: int) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", code, str(datadir)], capture_output=True, text=True, cwd=BASE_DIR,
            timeout=180, check=False,
        )  # fmt: skip

    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            results = list(pool.map(start, range(3)))
        assert all(result.returncode == 0 for result in results), [r.stderr[-500:] for r in results]
        uris = {result.stdout.strip().splitlines()[-1] for result in results}
        assert len(uris) == 1 and str(datadir) in uris.pop()
        # Restart-safe: the data survives a stop and a new start.
        assert stop_embedded_server(datadir)
        assert (datadir / "PG_VERSION").exists()
        assert str(datadir) in start_embedded_server(datadir)
    finally:
        stop_embedded_server(datadir)


def _db_call(code: str, datadir: Path) -> str:
    """Run ``code`` (with ``d`` = the data folder) in a fresh process, as a real start would."""
    prelude = "import sys; from pathlib import Path; from myloware.db import *; d = Path(sys.argv[1]); "
    result = subprocess.run(
        [sys.executable, "-c", prelude + code, str(datadir)], capture_output=True, text=True, cwd=BASE_DIR,
        timeout=180, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""


@pytest.mark.crash
def test_a_crashed_embedded_server_is_restarted_despite_its_stale_lock(tmp_path: Path) -> None:
    """A SIGKILLed postmaster leaves postmaster.pid behind (and, where nothing reaps orphans, a
    zombie that still "exists"); the next start must clear the lock and recover, not hang or lie."""
    import signal

    datadir = tmp_path / "pgdata"
    answer = "import psycopg; c = parse_database_url(start_embedded_server(d)); "
    answer += "print(psycopg.connect(dbname=c['NAME'], user='postgres', host=c['HOST']).execute('SELECT 1').fetchone())"
    try:
        assert _db_call(answer, datadir) == "(1,)"
        pid = int((datadir / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
        assert (datadir / "postmaster.pid").exists()

        assert _db_call(answer, datadir) == "(1,)"
        assert int((datadir / "postmaster.pid").read_text().split()[0]) != pid
    finally:
        _db_call("print(stop_embedded_server(d))", datadir)


@pytest.mark.crash
def test_a_lock_held_by_a_zombie_postmaster_is_cleared(tmp_path: Path) -> None:
    """Where PID 1 reaps orphans lazily, a killed postmaster lingers as a zombie whose PID still
    "exists"; pgserver would then report a running server that accepts no connection. Made
    deterministic here with a zombie of our own (a child we don't reap until the end)."""
    datadir = tmp_path / "pgdata"
    zombie = subprocess.Popen(["true"])  # noqa: S603,S607 - exits at once; not reaped until wait()
    try:
        _db_call("start_embedded_server(d)", datadir)
        real_lock = (datadir / "postmaster.pid").read_text().splitlines()
        _db_call("print(stop_embedded_server(d))", datadir)
        deadline = time.monotonic() + 10
        while psutil.Process(zombie.pid).status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
            time.sleep(0.05)
        (datadir / "postmaster.pid").write_text("\n".join([str(zombie.pid), *real_lock[1:]]) + "\n")

        answer = "import psycopg; c = parse_database_url(start_embedded_server(d)); "
        answer += "print(psycopg.connect(dbname=c['NAME'], user='postgres', host=c['HOST']).execute('SELECT 2').fetchone())"
        assert _db_call(answer, datadir) == "(2,)"
    finally:
        zombie.wait()
        _db_call("print(stop_embedded_server(d))", datadir)


def test_secret_key_rotation_keeps_what_the_previous_key_signed() -> None:
    from django.core import signing

    token = signing.dumps("signed before the rotation", key="the-previous-secret-key-0123456789")
    script = f"from django.core import signing; print(signing.loads({token!r}))"
    rotated = _manage(
        "shell", "-c", script,
        SECRET_KEY="the-new-secret-key-9876543210", SECRET_KEY_FALLBACKS="the-previous-secret-key-0123456789",
    )  # fmt: skip
    assert rotated.returncode == 0, rotated.stderr
    assert rotated.stdout.strip().splitlines()[-1] == "signed before the rotation"
    without = _manage("shell", "-c", script, SECRET_KEY="the-new-secret-key-9876543210")
    assert without.returncode != 0 and "BadSignature" in without.stderr


def test_an_empty_credential_namespace_is_refused_at_start() -> None:
    result = _manage("check", SOCIALS_CREDENTIAL_ENV_PREFIX=" ")
    assert result.returncode != 0
    assert "SOCIALS_CREDENTIAL_ENV_PREFIX must not be empty" in result.stderr
