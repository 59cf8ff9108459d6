"""Reads of the webhooks app: the console's dashboard (counts over indexed time ranges) and how
far behind processing is (/healthz)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Min, Q
from django.db.models.functions import TruncHour

from webhooks.models import EventStatus, SignatureStatus, WebhookDLQ, WebhookEvent
from webhooks.services import due_entries

# How a delivery ended, as the dashboard colours it.
OUTCOMES: dict[str, str] = {
    EventStatus.PROCESSED: "ok",
    EventStatus.IGNORED: "ok",
    EventStatus.RECEIVED: "pending",
    EventStatus.FAILED: "failed",
    EventStatus.REJECTED: "rejected",
}


def deliveries_per_hour(*, now: datetime, hours: int = 24) -> list[dict[str, Any]]:
    """``[{"provider", "hour", "outcome", "n"}]`` for deliveries received in the last ``hours``
    (webhook_events_received_idx: the window is an index range)."""
    since = (now - timedelta(hours=hours - 1)).replace(minute=0, second=0, microsecond=0)
    rows = (
        WebhookEvent.objects.filter(received_at__gte=since)
        .annotate(hour=TruncHour("received_at"))
        .order_by()
        .values("provider", "hour", "status")
        .annotate(n=Count("*"))
    )
    return [
        {
            "provider": r["provider"],
            "hour": r["hour"],
            "outcome": OUTCOMES.get(r["status"], "ok"),
            "n": r["n"],
        }
        for r in rows
    ]


def dlq_depth(*, now: datetime) -> dict[str, Any]:
    """Entries per provider (due, waiting for their backoff, dead) and the oldest entry's age."""
    due = Q(dead_at__isnull=True) & (Q(next_retry_at__isnull=True) | Q(next_retry_at__lte=now))
    rows = (
        WebhookDLQ.objects.order_by()
        .values("provider")
        .annotate(
            due=Count("id", filter=due),
            waiting=Count("id", filter=Q(dead_at__isnull=True, next_retry_at__gt=now)),
            dead=Count("id", filter=Q(dead_at__isnull=False)),
            oldest=Min("created_at"),
        )
        .order_by("provider")
    )
    providers = list(rows)
    oldest = min((row["oldest"] for row in providers), default=None)
    return {
        "providers": providers,
        "total": sum(row["due"] + row["waiting"] + row["dead"] for row in providers),
        "oldest_age_seconds": (now - oldest).total_seconds() if oldest else None,
    }


@dataclass(frozen=True)
class ProcessingLag:
    """Oldest valid event still ``received``, due dead-letter entries and the most overdue one."""

    oldest_received_at: datetime | None
    dlq_due: int
    dlq_oldest_due_at: datetime | None


def processing_lag(*, now: datetime) -> ProcessingLag:
    oldest = WebhookEvent.objects.filter(
        status=EventStatus.RECEIVED, signature_status=SignatureStatus.VALID
    ).aggregate(oldest=Min("received_at"))["oldest"]
    due = due_entries(now).aggregate(
        count=Count("pk"), oldest=Min("next_retry_at"), created=Min("created_at")
    )
    # next_retry_at NULL means "due now" (seed semantics): such an entry is due since it was created.
    oldest_due = due["oldest"] or due["created"]
    return ProcessingLag(oldest, due["count"], oldest_due)
