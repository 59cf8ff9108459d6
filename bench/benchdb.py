"""The benchmarks' own databases, on the embedded server and never the development database.

url = benchdb.create("myloware_bench_x", recreate=True)   # postgresql://postgres@/name?host=...
benchdb.use_for_django("myloware_bench_x")                # DATABASE_URL + django.setup + migrate
benchdb.drop("myloware_bench_x")
"""

from __future__ import annotations

import io
import os
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _server() -> dict[str, Any]:
    from myloware.db import parse_database_url, start_embedded_server

    return parse_database_url(start_embedded_server(ROOT / "var" / "pgdata"))


def _admin_connection() -> Any:
    import psycopg

    server = _server()
    return psycopg.connect(
        dbname=server["NAME"], user=server["USER"] or "postgres", host=server["HOST"], autocommit=True
    )


def url(name: str) -> str:
    """The bench database's URL (a Unix socket of the embedded server)."""
    server = _server()
    return f"postgresql://{server['USER'] or 'postgres'}@/{name}?host={server['HOST']}"


def create(name: str, *, recreate: bool = False) -> str:
    """Create database ``name`` unless it exists (drop it first with ``recreate``); its URL."""
    from psycopg import sql

    with _admin_connection() as conn:
        if recreate:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return url(name)


def drop(name: str) -> None:
    from psycopg import sql

    with _admin_connection() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    print(f"dropped {name}")


def use_for_django(name: str, *, recreate: bool = False, migrate: bool = True) -> str:
    """Point this process's Django at the bench database (created if needed), set up, migrate."""
    bench_url = create(name, recreate=recreate)
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myloware.settings")
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    return bench_url


# The columns the million-row benches fill with COPY, per table (the rest take their defaults).
COPY_COLUMNS = {
    "gate_requests": (
        "run_id, gate, status, summary, artifact_ids, content_hash, opened_by, opened_at, deadline_at, "
        "required_approvals, allow_self_approval, approve_to, decided_at, decided_by, decision_comment, "
        "callback_status, callback_attempts, callback_next_at, callback_last_error, callback_delivered_at"
    ),
    "webhook_events": "id, idempotency_key, provider, headers, payload, signature_status, received_at, status, run_id",
    "webhook_dlq": (
        "id, idempotency_key, provider, headers, payload, error, retry_count, next_retry_at, "
        "last_error_at, created_at, updated_at, dead_at"
    ),
}
COPY_CHUNK = 50_000  # lines per write: bounded memory for millions of rows


def copy_lines(cursor: Any, table: str, columns: str, lines: Iterable[str]) -> None:
    """Bulk-load tab-separated ``lines`` into ``table`` with COPY (the loaders of the benches)."""
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        buffer = io.StringIO()
        for n, line in enumerate(lines, 1):
            buffer.write(line)
            if n % COPY_CHUNK == 0:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())


def bulk_load(cursor: Any, tables: Iterable[tuple[str, str, Iterable[str]]]) -> None:
    """COPY each ``(table, columns, lines)`` as a replica (no trigger fires: a loader that needs a
    trigger's effect writes it itself), then VACUUM (ANALYZE) what was loaded."""
    loaded = []
    cursor.execute("SET session_replication_role = replica")
    cursor.execute("SET synchronous_commit = off")
    cursor.execute("SET maintenance_work_mem = '512MB'")
    for table, columns, lines in tables:
        started = time.perf_counter()
        copy_lines(cursor, table, columns, lines)
        print(f"  {table} loaded in {time.perf_counter() - started:.1f} s", flush=True)
        loaded.append(table)
    cursor.execute("SET session_replication_role = origin")
    for table in loaded:
        cursor.execute(f"VACUUM (ANALYZE) {table}")


def dlq_lines(now: datetime, providers: tuple[str, ...], count: int = 2000) -> Iterator[str]:
    """``webhook_dlq`` lines (COPY_COLUMNS): one an hour back from ``now``, a third of them due
    for a retry, a tenth dead."""
    for i in range(count):
        at = (now - timedelta(hours=i)).isoformat()
        retry = "\\N" if i % 3 else (now + timedelta(minutes=i)).isoformat()
        dead = at if i % 10 == 0 else "\\N"
        yield (
            f"{uuid.uuid4()}\tdlq-{i}\t{providers[i % len(providers)]}\t{{}}\t\\\\x7b7d\tboom\t{i % 8}\t"
            f"{retry}\t{at}\t{at}\t{at}\t{dead}\n"
        )
