"""``GET /healthz``: database reachable, pgvector installed, migrations applied."""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET


def health_report() -> tuple[bool, dict[str, Any]]:
    report: dict[str, Any] = {"database": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('server_version')")
            report["postgres_version"] = cursor.fetchone()[0]
            cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            row = cursor.fetchone()
        report["pgvector_version"] = row[0] if row else None
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        report["migrations"] = "applied" if not pending else f"{len(pending)} pending"
    except DatabaseError as exc:
        return False, {"database": f"unavailable: {type(exc).__name__}"}
    problems = []
    if report["pgvector_version"] is None:
        problems.append("pgvector extension is not installed")
    if report["migrations"] != "applied":
        problems.append(f"migrations not applied ({report['migrations']})")
    if problems:
        report["problems"] = problems
    return not problems, report


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, report = health_report()
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **report}, status=200 if healthy else 503
    )
