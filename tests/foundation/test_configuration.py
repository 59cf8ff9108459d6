"""Configuration mistakes get one clear line; the embedded server is safe to start concurrently."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

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
