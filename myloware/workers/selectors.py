"""Reads about the background workers: is work flowing through a cluster?"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Max
from django.db.models.functions import Coalesce
from django.utils import timezone

from myloware.workers.models import WorkerHeartbeat


@dataclass(frozen=True)
class ClusterHealth:
    """``flowing``: a task started or finished within WORKER_STALE_AFTER, or one may still run."""

    cluster: str
    workers: int
    last_flow_at: datetime | None
    busy_until: datetime | None
    flowing: bool

    def flow_age(self, now: datetime) -> float | None:
        return None if self.last_flow_at is None else round((now - self.last_flow_at).total_seconds(), 1)


def _health(row: Mapping[str, Any], now: datetime) -> ClusterHealth:
    last_flow, busy_until = row["last_flow_at"], row["busy_until"]
    stale_before = now - timedelta(seconds=settings.WORKER_STALE_AFTER)
    recent = last_flow is not None and last_flow >= stale_before
    busy = busy_until is not None and busy_until > now
    return ClusterHealth(
        row["cluster"], row["workers"], last_flow, busy_until, row["workers"] > 0 and (recent or busy)
    )


def clusters_health(*, now: datetime | None = None, cluster: str | None = None) -> list[ClusterHealth]:
    """Every watched cluster (or one), from its workers' heartbeats; a worker that has not
    taken a task yet counts from its start, so a fresh cluster has WORKER_STALE_AFTER to show flow."""
    now = now or timezone.now()
    rows = WorkerHeartbeat.objects.all()
    if cluster is not None:
        rows = rows.filter(cluster=cluster)
    grouped = (
        rows.values("cluster")
        .annotate(
            workers=Count("pk"),
            last_flow_at=Max(Coalesce("beat_at", "started_at")),
            busy_until=Max("busy_until"),
        )
        .order_by("cluster")
    )
    return [_health(row, now) for row in grouped]


def cluster_health(*, cluster: str, now: datetime | None = None) -> ClusterHealth:
    """One cluster; a cluster without workers is not flowing."""
    found = clusters_health(now=now, cluster=cluster)
    return found[0] if found else ClusterHealth(cluster, 0, None, None, False)
