"""Reads about the background workers: is work flowing through a cluster?"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Min, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from myloware.workers.models import WorkerHeartbeat, WorkerRole


@dataclass(frozen=True)
class ClusterHealth:
    """``flowing``: within WORKER_STALE_AFTER a worker started or finished a task *and* the
    monitor acknowledged one (a process that has not done so yet counts from its start), or a
    task may still legitimately run (``busy_until``: its timeout has not passed)."""

    cluster: str
    workers: int
    last_task_at: datetime | None
    last_ack_at: datetime | None
    busy_until: datetime | None
    flowing: bool

    def busy(self, now: datetime) -> bool:
        return self.busy_until is not None and self.busy_until > now

    def flow_age(self, now: datetime) -> float | None:
        """Seconds since the staler of the two signs of flow (task run, task acknowledged)."""
        if self.last_task_at is None or self.last_ack_at is None:
            return None
        return round((now - min(self.last_task_at, self.last_ack_at)).total_seconds(), 1)


_WORKER = Q(role=WorkerRole.WORKER)
_MONITOR = Q(role=WorkerRole.MONITOR)
_SEEN = Coalesce("beat_at", "started_at")


def _health(row: Mapping[str, Any], now: datetime) -> ClusterHealth:
    last_task = row["last_task_at"]
    last_ack = row["last_ack_at"] or row["first_start"]  # no monitor row yet: since the start
    stale_before = now - timedelta(seconds=settings.WORKER_STALE_AFTER)
    busy_until = row["busy_until"]
    recent = last_task is not None and last_ack is not None and min(last_task, last_ack) >= stale_before
    busy = busy_until is not None and busy_until > now
    flowing = row["workers"] > 0 and (recent or busy)
    return ClusterHealth(row["cluster"], row["workers"], last_task, last_ack, busy_until, flowing)


def clusters_health(*, now: datetime | None = None, cluster: str | None = None) -> list[ClusterHealth]:
    """Every watched cluster (or one), from the heartbeats of its processes."""
    now = now or timezone.now()
    rows = WorkerHeartbeat.objects.all()
    if cluster is not None:
        rows = rows.filter(cluster=cluster)
    grouped = (
        rows.values("cluster")
        .annotate(
            workers=Count("pk", filter=_WORKER),
            last_task_at=Max(_SEEN, filter=_WORKER),
            last_ack_at=Max(_SEEN, filter=_MONITOR),
            first_start=Min("started_at", filter=_WORKER),
            busy_until=Max("busy_until", filter=_WORKER),
        )
        .order_by("cluster")
    )
    return [_health(row, now) for row in grouped]


def cluster_health(*, cluster: str, now: datetime | None = None) -> ClusterHealth:
    """One cluster; a cluster without workers is not flowing."""
    found = clusters_health(now=now, cluster=cluster)
    return found[0] if found else ClusterHealth(cluster, 0, None, None, None, False)
