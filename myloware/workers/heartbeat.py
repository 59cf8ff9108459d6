"""Worker heartbeats: evidence that tasks flow through a cluster, written by its own workers.

``manage.py run_workers`` calls :func:`watch` before django-q2 forks the sentinel, so every worker
process inherits the cluster's name. django-q2's signals then stamp the worker's row: when it
starts (``post_spawn``), when it picks up a task (``pre_execute``: also how long the task may run)
and when it finishes one (``post_execute_in_worker``); the monitor stamps its own row when it
has acknowledged a task to the broker (``post_execute``). Both matter: a worker killed while
holding the result queue's write lock leaves the others executing tasks whose results never
reach the monitor (never acknowledged, so delivered again after Q_RETRY, forever). Nothing is written by workers of a plain
``qcluster`` nor in sync mode (tests), where :func:`watch` was never called.

A database error here must not kill the worker (django-q2 does not guard its signal calls, so an
exception would end the worker and lose the task it holds): it is logged and the task runs; the
connection is checked again before the next task.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from django_q.signals import post_execute, post_execute_in_worker, post_spawn, pre_execute

from myloware.workers.models import WorkerHeartbeat, WorkerRole

logger = logging.getLogger(__name__)
# django-q2's guard kills a task a few seconds after its timeout; count it busy until then.
GUARD_SLACK_SECONDS = 5

_cluster: str | None = None


def watch(cluster: str) -> None:
    """Make the workers forked from now on stamp heartbeats for ``cluster``."""
    global _cluster
    _cluster = cluster


def watched_cluster() -> str | None:
    return _cluster


def _stamp(role: str = WorkerRole.WORKER, **fields: Any) -> None:
    if _cluster is None:
        return
    try:
        updated = WorkerHeartbeat.objects.filter(cluster=_cluster, pid=os.getpid()).update(**fields)
        if not updated:
            WorkerHeartbeat.objects.create(
                cluster=_cluster, pid=os.getpid(), host=socket.gethostname(), role=role, **fields
            )
    except DatabaseError as exc:
        logger.warning("worker %s could not write its heartbeat: %s", os.getpid(), exc)


def _on_spawn(sender: Any, **kwargs: Any) -> None:
    _stamp(started_at=timezone.now(), beat_at=None, busy_until=None, broker_ack_id=None)


def _on_task_start(sender: Any, task: dict[str, Any], **kwargs: Any) -> None:
    now = timezone.now()
    limit = settings.Q_CLUSTER["timeout"] + GUARD_SLACK_SECONDS
    ack_id = task.get("ack_id")
    _stamp(
        beat_at=now,
        busy_until=now + timedelta(seconds=limit),
        broker_ack_id=ack_id if isinstance(ack_id, int) else None,
    )


def _on_task_end(sender: Any, **kwargs: Any) -> None:
    _stamp(beat_at=timezone.now(), busy_until=None, broker_ack_id=None)


def working(*, bound: float) -> None:
    """Called by a long task between pieces of work (a webhook processor, per lease renewal):
    work went through this worker now, and it will say so again within ``bound`` seconds.

    ``busy_until`` shrinks from the task's timeout to ``bound``: a worker frozen inside such a
    task stops counting as busy within ``bound`` and is then judged by its last beat, like an
    idle one, instead of looking busy for the whole Q_TIMEOUT. A no-op outside a watched
    cluster (sync mode, the web tier).
    """
    now = timezone.now()
    _stamp(beat_at=now, busy_until=now + timedelta(seconds=bound))


def _on_acknowledged(sender: Any, **kwargs: Any) -> None:
    _stamp(WorkerRole.MONITOR, beat_at=timezone.now())


def connect_signals() -> None:
    post_spawn.connect(_on_spawn, dispatch_uid="workers.heartbeat.spawn")
    pre_execute.connect(_on_task_start, dispatch_uid="workers.heartbeat.start")
    post_execute_in_worker.connect(_on_task_end, dispatch_uid="workers.heartbeat.end")
    post_execute.connect(_on_acknowledged, dispatch_uid="workers.heartbeat.acknowledged")
