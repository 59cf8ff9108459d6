"""Reads of the LangGraph integration's tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection

from runs.models import TERMINAL_STATUSES

# A run's latest root checkpoint (by primary key, newest id first) against its readable row.
STALE_READABLE_STATES_SQL = """
SELECT r.run_id
FROM runs r
CROSS JOIN LATERAL (
    SELECT (c.checkpoint ->> 'ts')::timestamptz AS taken_at
    FROM langgraph_checkpoints c
    WHERE c.thread_id = r.run_id AND c.checkpoint_ns = ''
    ORDER BY c.checkpoint_id DESC
    LIMIT 1
) AS latest
LEFT JOIN orchestration_checkpoints o ON o.run_id = r.run_id
WHERE (r.status <> ALL(%(terminal)s) OR r.updated_at >= %(recent)s)
  AND latest.taken_at < %(settled)s
  AND (o.updated_at IS NULL OR o.updated_at < latest.taken_at)
ORDER BY r.run_id
LIMIT %(limit)s
"""


def runs_with_stale_readable_state(*, settled_before: datetime, recent: datetime, limit: int) -> list[str]:
    """Runs whose readable state is older than their latest root checkpoint, taken before
    ``settled_before`` (a live saver writes newer ones itself); among runs not ended, or updated
    since ``recent``."""
    params: dict[str, Any] = {
        "terminal": sorted(TERMINAL_STATUSES),
        "recent": recent,
        "settled": settled_before,
        "limit": limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(STALE_READABLE_STATES_SQL, params)
        return [row[0] for row in cursor.fetchall()]
