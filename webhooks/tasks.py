"""django-q2 entry points of the webhooks app (they take primary keys and call services)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings

from myloware.workers.database import call_with_database_retry
from webhooks.services import dlq_replay_due, webhook_event_process, webhook_events_process_stale


def process_webhook_event(event_id: str, now: datetime | None = None) -> str:
    """Process one stored event; enqueued on commit by the intake. Safe to run twice, so a
    database restart under it is retried within seconds (the event stays ``received`` meanwhile).

    ``now`` is the intake caller's fixed clock, if it gave one (None: the current time).
    """
    result = call_with_database_retry(
        lambda: webhook_event_process(event_id=event_id, now=now), budget=settings.WORKER_DB_RETRY_SECONDS
    )
    return result.outcome


def replay_due_webhooks() -> dict[str, Any]:
    """Every minute (a repair job of run_workers): replay due DLQ entries, then pick up valid
    events whose task was lost."""
    replays = dlq_replay_due(actor="schedule")
    stale = webhook_events_process_stale()
    return {
        "replayed": len(replays),
        "replay_failed": sum(1 for r in replays if not r.ok and r.outcome != "busy"),
        "stale_processed": len(stale),
    }
