"""Tasks that outlive a database restart: retry in seconds instead of failing for good."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import InterfaceError, OperationalError, connection

logger = logging.getLogger(__name__)
T = TypeVar("T")
FIRST_PAUSE_SECONDS = 0.5
MAX_PAUSE_SECONDS = 5.0


def call_with_database_retry(
    func: Callable[[], T],
    *,
    budget: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``func``; while the database is unreachable (restarting, connection terminated), drop
    the broken connection and run it again after 0.5, 1, 2, … 5 s, for at most ``budget`` s.

    ``func`` must be safe to run again after such a failure (its transaction was rolled back).
    A task that failed this way would otherwise wait for the broker's retry or the stale sweep
    (minutes); with the database back, it now completes in seconds.
    """
    deadline = clock() + budget
    pause = FIRST_PAUSE_SECONDS
    while True:
        try:
            return func()
        except (OperationalError, InterfaceError) as exc:
            if clock() + pause > deadline:
                raise
            logger.warning("database unavailable (%s); retrying in %.1f s", exc, pause)
            connection.close()
            sleep(pause)
            pause = min(pause * 2, MAX_PAUSE_SECONDS)
