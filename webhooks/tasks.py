"""django-q2 entry points of the webhooks app (they call services)."""

from __future__ import annotations

from typing import Any

from webhooks.services import dlq_replay_due, webhook_intake_counters_prune


def replay_due_webhooks() -> dict[str, Any]:
    """Every minute (the schedule ``webhooks.replay_due_webhooks``): replay due DLQ entries."""
    replays = dlq_replay_due(actor="schedule")
    return {
        "replayed": len(replays),
        "replay_failed": sum(1 for r in replays if not r.ok and r.outcome != "busy"),
    }


def prune_intake_counters() -> dict[str, int]:
    """Every hour: forget failure windows that ended and rejected-body budgets of past days."""
    return webhook_intake_counters_prune()
