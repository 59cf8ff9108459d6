"""Reads of the webhooks app: the API's lists, the console's dashboard (counts over indexed time
ranges), and how far behind processing and replay are (/healthz, the metrics)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, Min, OuterRef, QuerySet
from django.db.models.functions import Coalesce, TruncHour

from runs.models import Run
from webhooks.models import EventStatus, SignatureStatus, WebhookDLQ, WebhookDLQQuerySet, WebhookEvent


def webhook_events(
    *,
    provider: str | None = None,
    signature_status: str | None = None,
    status: str | None = None,
    run_id: str | None = None,
) -> QuerySet[WebhookEvent]:
    """Stored events (without their bodies) matching every filter given."""
    filters = {"provider": provider, "signature_status": signature_status, "status": status, "run_id": run_id}
    return WebhookEvent.objects.defer("payload").filter(
        **{name: value for name, value in filters.items() if value is not None}
    )


def dlq_entries(
    *, now: datetime, provider: str | None = None, due: bool | None = None, dead: bool | None = None
) -> QuerySet[WebhookDLQ]:
    """Dead-letter entries (without body and traceback) with ``replay_due`` as of ``now``, filtered on
    provider, due (true: due, false: not due) and dead (true: parked, false: live)."""
    entries = WebhookDLQ.objects.defer("payload", "traceback").with_due(now)
    if provider:
        entries = entries.filter(provider=provider)
    if due is not None:
        due_now = WebhookDLQQuerySet.due_condition(now)
        entries = entries.filter(due_now) if due else entries.exclude(due_now)
    if dead is not None:
        entries = entries.dead() if dead else entries.live()
    return entries


def dlq_entry_detail(*, now: datetime) -> QuerySet[WebhookDLQ]:
    """The entries the detail page reads: with the traceback, without the body."""
    return WebhookDLQ.objects.defer("payload").with_due(now)


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
    """Entries per provider (due, waiting for their backoff, dead) and the oldest entry's age (the
    dashboard; the gauge ``myloware_dlq_entries{provider,state}``)."""
    states = WebhookDLQQuerySet
    rows = (
        WebhookDLQ.objects.order_by()
        .values("provider")
        .annotate(
            due=Count("id", filter=states.due_condition(now)),
            waiting=Count("id", filter=states.waiting_condition(now)),
            dead=Count("id", filter=states.DEAD_CONDITION),
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
class Backlog:
    """Valid events waiting for the webhook loop (``received``): how many, and the oldest one's
    arrival. What the gauges ``myloware_webhook_backlog_events`` and ``..._oldest_seconds`` show."""

    events: int
    oldest_received_at: datetime | None


def webhook_backlog() -> Backlog:
    waiting = WebhookEvent.objects.filter(
        status=EventStatus.RECEIVED, signature_status=SignatureStatus.VALID
    ).aggregate(count=Count("pk"), oldest=Min("received_at"))
    return Backlog(waiting["count"], waiting["oldest"])


def dlq_overdue_since(*, now: datetime) -> datetime | None:
    """When the longest-waiting due dead-letter entry became due (None: nothing is due). The
    replay schedule takes due entries every minute; one due for long means it does not run."""
    # next_retry_at NULL means "due now" (seed semantics): such an entry is due since it was created.
    due_at = Coalesce("next_retry_at", "created_at")
    oldest: datetime | None = WebhookDLQ.objects.due(now).aggregate(oldest=Min(due_at))["oldest"]
    return oldest


# --- retention (myloware.lifecycle applies these) ---------------------------------------------


def events_with_expirable_body(*, received_before: datetime) -> QuerySet[WebhookEvent]:
    """Verified events received before the cutoff whose processing is over (processed, ignored,
    or failed with no dead-letter entry left to replay) and whose body is still kept; not an
    event waiting for the loop, nor one of a run on legal hold."""
    return (
        WebhookEvent.objects.filter(
            payload_dropped_at__isnull=True,
            received_at__lt=received_before,
            signature_status=SignatureStatus.VALID,
            status__in=[EventStatus.PROCESSED, EventStatus.IGNORED, EventStatus.FAILED],
        )
        .exclude(
            Exists(WebhookDLQ.objects.filter(event=OuterRef("pk")))
            | Exists(Run.objects.filter(run_id=OuterRef("run_id"), held=True))
        )
        .order_by("received_at")
    )  # oldest first, along webhook_events_body_kept_idx: a batch reads its rows only


def rejected_events(*, received_before: datetime) -> QuerySet[WebhookEvent]:
    """Rejected (unauthenticated) deliveries received before the cutoff."""
    return WebhookEvent.objects.filter(status=EventStatus.REJECTED, received_at__lt=received_before).order_by(
        "received_at"
    )


def dlq_dead_entries(*, dead_before: datetime) -> QuerySet[WebhookDLQ]:
    """Dead-letter entries parked before the cutoff (never due: dead entries are not replayed)."""
    return WebhookDLQ.objects.dead().filter(dead_at__lt=dead_before)
