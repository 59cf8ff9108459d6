"""``GET /healthz``: the truth about the database and about background work.

200 only when the database answers with pgvector and every migration, and work flows: a watched
cluster ran a task within WORKER_STALE_AFTER (or is inside one), and no valid webhook event,
queued task or due dead-letter entry has waited longer than HEALTH_MAX_LAG. Otherwise 503 with
``Retry-After`` and ``problems`` naming each failing part.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count, Min
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django_q.brokers import get_broker
from django_q.models import OrmQ

from myloware.api.exceptions import DB_RETRY_AFTER_SECONDS
from myloware.workers.selectors import clusters_health
from webhooks.selectors import processing_lag


def _age(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else round(max(0.0, (now - moment).total_seconds()), 1)


def _database(report: dict[str, Any], problems: list[str]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version')")
        report["postgres_version"] = cursor.fetchone()[0]
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        row = cursor.fetchone()
    report["pgvector_version"] = row[0] if row else None
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    report["migrations"] = "applied" if not pending else f"{len(pending)} pending"
    if report["pgvector_version"] is None:
        problems.append("pgvector extension is not installed")
    if pending:
        problems.append(f"migrations not applied ({report['migrations']})")


def _workers(now: datetime, problems: list[str]) -> dict[str, Any]:
    if settings.Q_CLUSTER["sync"]:
        return {"mode": "sync (tasks run inline)"}
    clusters = clusters_health(now=now)
    if not any(cluster.flowing for cluster in clusters):
        problems.append(
            f"workers: no task went through any cluster for {settings.WORKER_STALE_AFTER} s"
            if clusters
            else "workers: no cluster has reported (is `manage.py run_workers` running?)"
        )
    return {
        "stale_after_seconds": settings.WORKER_STALE_AFTER,
        "clusters": [
            {
                "name": cluster.cluster,
                "workers": cluster.workers,
                "last_task_age_seconds": _age(cluster.last_task_at, now),
                "last_acknowledged_age_seconds": _age(cluster.last_ack_at, now),
                "busy": cluster.busy(now),
                "flowing": cluster.flowing,
            }
            for cluster in clusters
        ],
    }


def _queued_tasks(now: datetime, problems: list[str]) -> tuple[int | None, datetime | None]:
    """Tasks waiting in the broker, and since when (known for the ORM broker only)."""
    if "orm" in settings.Q_CLUSTER:
        # An unclaimed row's lock is the time it was queued (or the time its claim expired).
        queued = OrmQ.objects.filter(lock__lte=now).aggregate(count=Count("pk"), oldest=Min("lock"))
        return queued["count"], queued["oldest"]
    try:
        return get_broker().queue_size(), None
    except Exception as exc:  # noqa: BLE001 - whatever the broker's client raises, it is down
        problems.append(f"task queue: the broker does not answer ({type(exc).__name__})")
        return None, None


def _backlog(now: datetime, problems: list[str]) -> dict[str, Any]:
    limit = settings.HEALTH_MAX_LAG
    lag = processing_lag(now=now)
    queued, oldest_queued = _queued_tasks(now, problems)
    ages = {
        "oldest_received_event_age_seconds": _age(lag.oldest_received_at, now),
        "dlq_due": lag.dlq_due,
        "dlq_most_overdue_seconds": _age(lag.dlq_oldest_due_at, now),
        "queued_tasks": queued,
        "oldest_queued_task_age_seconds": _age(oldest_queued, now),
    }
    for key, part in (
        ("oldest_received_event_age_seconds", "webhooks: a valid event waits for processing"),
        ("dlq_most_overdue_seconds", "dead-letter queue: a due entry is not replayed"),
        ("oldest_queued_task_age_seconds", "task queue: a queued task is not picked up"),
    ):
        if (ages[key] or 0) > limit:
            problems.append(f"{part} for {ages[key]} s (limit HEALTH_MAX_LAG={limit} s)")
    return {"max_lag_seconds": limit, **ages}


def health_report(*, now: datetime | None = None) -> tuple[bool, dict[str, Any]]:
    now = now or timezone.now()
    report: dict[str, Any] = {"database": "ok"}
    problems: list[str] = []
    try:
        _database(report, problems)
        report["workers"] = _workers(now, problems)
        report["backlog"] = _backlog(now, problems)
    except DatabaseError as exc:
        return False, {"database": f"unavailable: {type(exc).__name__}", "problems": ["database unavailable"]}
    if problems:
        report["problems"] = problems
    return not problems, report


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, report = health_report()
    response = JsonResponse(
        {"status": "ok" if healthy else "unavailable", **report}, status=200 if healthy else 503
    )
    if not healthy:
        response["Retry-After"] = str(DB_RETRY_AFTER_SECONDS)
    return response
