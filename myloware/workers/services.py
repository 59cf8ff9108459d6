"""Writes about the background workers: heartbeat rows, canary tasks, broker locks."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_q.models import OrmQ
from django_q.tasks import async_task

from myloware.workers.models import WorkerHeartbeat

CANARY_TASK = "myloware.workers.tasks.canary"


def heartbeats_reset(*, cluster: str) -> int:
    """Forget a cluster's workers (a new incarnation of the cluster starts with none)."""
    deleted, _ = WorkerHeartbeat.objects.filter(cluster=cluster).delete()
    return deleted


def heartbeats_prune(
    *,
    cluster: str,
    live_pids: Collection[int],
    keep_locked: Collection[int] = (),
    now: datetime | None = None,
) -> list[int]:
    """Delete the rows of a cluster's workers that are no longer running; the broker rows of the
    tasks they died in are handed back to the queue at once instead of after Q_RETRY seconds.

    Returns those broker row ids. ``keep_locked``: ids already handed back once (a task that
    kills its worker twice waits for Q_RETRY, so a poison task cannot loop quickly).
    """
    now = now or timezone.now()
    with transaction.atomic():
        dead = WorkerHeartbeat.objects.filter(cluster=cluster).exclude(pid__in=list(live_pids))
        ack_ids = [ack for ack in dead.values_list("broker_ack_id", flat=True) if ack is not None]
        released = [ack for ack in ack_ids if ack not in keep_locked]
        OrmQ.objects.filter(pk__in=released, lock__gt=now).update(lock=now)
        dead.delete()
    return released


def canary_enqueue(*, cluster: str, now: datetime | None = None) -> str:
    """Queue one tiny task through the broker, so an idle cluster still shows that tasks flow.

    Its result is not saved: canaries must not push real results out of django-q2's save limit.
    """
    sent_at = (now or timezone.now()).isoformat()
    return str(async_task(CANARY_TASK, sent_at, cluster, q_options={"save": False}))


def broker_locks_release(*, now: datetime | None = None) -> int:
    """Hand back to the queue the tasks a killed cluster had claimed (ORM broker rows).

    Only for a supervisor that knows no other cluster serves this database (``make run``):
    otherwise they come back by themselves after Q_RETRY seconds, as django-q2 intends. The
    Redis broker has no claims to release (a task popped by a killed cluster is gone; its event
    waits for the stale sweep).
    """
    if "orm" not in settings.Q_CLUSTER:
        return 0
    now = now or timezone.now()
    return OrmQ.objects.filter(lock__gt=now).update(lock=now)
