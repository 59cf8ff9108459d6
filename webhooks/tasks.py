"""django-q2 entry points of the webhooks app (they take primary keys and call services)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings

from myloware.workers.database import call_with_database_retry
from webhooks.services import (
    dlq_replay_due,
    webhook_event_process,
    webhook_events_drain,
    webhook_events_process_stale,
    webhook_intake_counters_prune,
    webhook_processing_wake_if_waiting,
)


def process_received_webhooks(slot: int, owner: str, now: datetime | None = None) -> int:
    """A processor holding ``slot``: drain the waiting events (woken by the intake on commit).

    A database restart under it is retried within seconds: what was not committed is still
    ``received`` and is claimed again. ``now`` is the intake caller's fixed clock, if it gave
    one (None: the current time).
    """
    return call_with_database_retry(
        lambda: webhook_events_drain(slot=slot, owner=owner, now=now), budget=settings.WORKER_DB_RETRY_SECONDS
    )


def process_webhook_event(event_id: str, now: datetime | None = None) -> str:
    """Process one stored event; safe to run twice, so a database restart under it is retried.
    The intake enqueued one per event before processors drained the table: tasks still queued
    from then run through here."""
    result = call_with_database_retry(
        lambda: webhook_event_process(event_id=event_id, now=now), budget=settings.WORKER_DB_RETRY_SECONDS
    )
    return result.outcome


def replay_due_webhooks() -> dict[str, Any]:
    """Every minute (a repair job of run_workers): replay due DLQ entries, then process valid
    events still waiting after WEBHOOK_STALE_AFTER (no processor got to them)."""
    replays = dlq_replay_due(actor="schedule")
    stale = webhook_events_process_stale()
    return {
        "replayed": len(replays),
        "replay_failed": sum(1 for r in replays if not r.ok and r.outcome != "busy"),
        "stale_processed": len(stale),
    }


def wake_processors() -> int | None:
    """Every WEBHOOK_WAKE_SECONDS (a repair job of run_workers): the slot of the processor it
    started for waiting events, or None (nothing waits, or every slot is held)."""
    return webhook_processing_wake_if_waiting()


def prune_intake_counters() -> dict[str, int]:
    """Every hour: forget failure windows that ended and rejected-body budgets of past days."""
    return webhook_intake_counters_prune()
