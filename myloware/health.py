"""``GET /healthz``: is the system up, and if not, which part stopped.

Judged from facts the database already has, each read by one selector: the database answers
with pgvector and every migration applied; the webhook loop keeps up (the oldest valid event
waiting for it); the dead-letter replay runs (the longest-due entry); django-q2's schedules run
(each schedule's lag) and its queue moves (tasks waiting while none finishes). A part is down
when its fact passes HEALTH_MAX_LAG. 200, or 503 + ``Retry-After`` with the failing parts named.

Anyone gets the verdict and the names of the failing parts; the figures (versions, backlogs,
lags, queue depth) need an API key with the ``ops:read`` scope (``X-API-Key``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from myloware.api.authentication import HEADER
from myloware.api.exceptions import DB_RETRY_AFTER_SECONDS
from myloware.api.models import Scope
from myloware.api.services import api_key_authenticate
from myloware.lib.errors import error_body
from myloware.workers.selectors import cluster_facts
from webhooks.selectors import dlq_overdue_since, webhook_backlog


class Part(enum.StrEnum):
    DATABASE = "database"
    WEBHOOK_LOOP = "webhook_loop"
    DLQ_REPLAY = "dlq_replay"
    SCHEDULES = "schedules"
    TASK_QUEUE = "task_queue"


# The parts whose failure means the django-q2 cluster itself stopped (a stalled pool, a dead
# scheduler), the check_tasks probe's: `make run` restarts the cluster for them (myloware/run.py).
# Not the DLQ replay: a large backlog of due entries is slow, not stopped.
CLUSTER_PARTS = (Part.SCHEDULES, Part.TASK_QUEUE)


@dataclass
class Health:
    failing: list[Part] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failing

    def fail(self, part: Part, problem: str) -> None:
        if part not in self.failing:
            self.failing.append(part)
        self.problems.append(f"{part}: {problem}")


def _age(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else round(max(0.0, (now - moment).total_seconds()), 1)


def _database(health: Health) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('server_version'), "
            "(SELECT extversion FROM pg_extension WHERE extname = 'vector')"
        )
        postgres, pgvector = cursor.fetchone()
    executor = MigrationExecutor(connection)
    pending = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    health.details[Part.DATABASE] = {
        "postgres_version": postgres,
        "pgvector_version": pgvector,
        "pending_migrations": pending,
    }
    if pgvector is None:
        health.fail(Part.DATABASE, "the pgvector extension is not installed")
    if pending:
        health.fail(Part.DATABASE, f"{pending} migrations not applied")


def _background_work(health: Health, now: datetime) -> None:
    limit = settings.HEALTH_MAX_LAG
    backlog = webhook_backlog()
    waiting = _age(backlog.oldest_received_at, now)
    health.details[Part.WEBHOOK_LOOP] = {"backlog_events": backlog.events, "oldest_waiting_seconds": waiting}
    if (waiting or 0) > limit:
        health.fail(Part.WEBHOOK_LOOP, f"a valid event has waited {waiting} s for processing")

    overdue = _age(dlq_overdue_since(now=now), now)
    health.details[Part.DLQ_REPLAY] = {"most_overdue_seconds": overdue}
    if (overdue or 0) > limit:
        health.fail(Part.DLQ_REPLAY, f"a due dead-letter entry has waited {overdue} s for its replay")

    cluster = cluster_facts(now=now)
    health.details[Part.SCHEDULES] = {
        "lag_seconds": {name: round(lag, 1) for name, lag in cluster.lags.items()}
    }
    for name, lag in cluster.late_schedules(limit).items():
        health.fail(Part.SCHEDULES, f"{name} is {lag:.1f} s late")
    queue = cluster.queue
    stalled = round(queue.stalled_seconds(now), 1)
    health.details[Part.TASK_QUEUE] = {
        "queued": queue.queued,
        "oldest_queued_seconds": _age(queue.oldest_queued_at, now),
        "last_finished_seconds": _age(queue.last_finished_at, now),
        "stalled_seconds": stalled,
    }
    if cluster.stalled(limit):
        health.fail(Part.TASK_QUEUE, f"{queue.queued} tasks wait and none finished for {stalled} s")


def health_check(*, now: datetime | None = None) -> Health:
    """Every part's fact, and which parts are down (a part is down past HEALTH_MAX_LAG)."""
    now = now or timezone.now()
    health = Health()
    try:
        _database(health)
        _background_work(health, now)
    except DatabaseError as exc:
        health.fail(Part.DATABASE, f"unavailable ({type(exc).__name__})")
    health.details["max_lag_seconds"] = settings.HEALTH_MAX_LAG
    return health


def _key_refusal(request: HttpRequest) -> JsonResponse | None:
    """None when the caller may see the details; a 401/403 for a bad key or one without the scope."""
    key = api_key_authenticate(request.headers[HEADER].strip(), now=timezone.now())
    if key is None:
        return JsonResponse(error_body(401, "not_authenticated", "Invalid or revoked API key"), status=401)
    scope = Scope.OPS_READ.value
    if not key.has_scope(scope):
        message = f"This API key lacks the scope {scope!r} needed for GET {request.path}"
        details = {"required_scope": scope, "granted_scopes": list(key.scopes)}
        return JsonResponse(error_body(403, "missing_scope", message, details), status=403)
    return None


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    detailed = HEADER in request.headers
    if detailed:
        refusal = _key_refusal(request)
        if refusal is not None:
            return refusal
    health = health_check()
    body: dict[str, Any] = {"status": "ok" if health.ok else "unavailable"}
    if not health.ok:
        body["failing"] = health.failing
    if detailed:
        body |= {"problems": health.problems, **health.details}
    response = JsonResponse(body, status=200 if health.ok else 503)
    if not health.ok:
        response["Retry-After"] = str(DB_RETRY_AFTER_SECONDS)
    return response
