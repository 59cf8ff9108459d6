"""Writes runs' readable state (``orchestration_checkpoints``) beside the checkpoints, coalesced.

Why not inside ``put``'s statement: upserting a run's state row is a tenth of a ``put`` (a new
row version of several KB and its TOAST, on every superstep), yet the state is a view for
people (the admin's run page, the checkpoint API), not what a resume reads. So ``put`` hands the
checkpoint's values to this writer and returns. The writer's thread waits ``delay`` seconds for
more checkpoints, keeps only the latest one of each run, and writes them, encoded, in one
statement. A run's readable state is therefore at most ``delay`` plus one write behind its
latest checkpoint; ``flush()`` (and the saver's ``close()``) write what is pending at once.

Order: ``updated_at`` is the checkpoint's own timestamp, and the statement replaces a row only by
a newer one, so a late write never undoes a newer state (another saver's, the API's, the refresh
job's). A failed write (the database restarting) is retried with a growing pause, its states
kept unless newer ones came meanwhile. A process that dies with states pending leaves them
behind their checkpoint until the ``runs.langgraph.refresh_readable_states`` schedule rebuilds
them from the checkpoints (``services.checkpoints_refresh_readable_states``).
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

logger = logging.getLogger(__name__)

RETRY_PAUSE_MAX = 5.0
CLOSE_TIMEOUT = 10.0
# An idle thread stops (a later submit starts another): it holds its saver, so a saver nobody
# closes would otherwise live, with its connections, as long as the process.
IDLE_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class PendingState:
    """A run's channel values as of one root checkpoint, not written yet."""

    thread_id: str
    taken_at: datetime
    values: Mapping[str, Any]
    versions: Mapping[str, Any]


class ReadableStateWriter:
    """Coalesces states per run and writes them from a thread of its own (started on demand)."""

    def __init__(self, write: Callable[[list[PendingState]], None], *, delay: float) -> None:
        self._write = write
        self.delay = delay
        self._changed = threading.Condition()
        self._pending: dict[str, PendingState] = {}
        self._writing = False
        self._hurry = 0  # flush() callers waiting: skip the coalescing pause
        self._closed = False
        self._running = False
        # For the benchmark's report: batches and rows written, and the writer thread's own CPU
        # seconds for them (its wall time mostly measures waiting for the GIL beside busy threads).
        self.statements = self.rows = 0
        self.cpu_seconds = 0.0
        _open_writers.add(self)

    def submit(self, state: PendingState) -> None:
        """Queue ``state``; it replaces any pending state of the same run."""
        with self._changed:
            idle = not self._pending
            self._pending[state.thread_id] = state
            self._closed = False
            if not self._running:
                self._running = True
                threading.Thread(target=self._loop, name="langgraph-readable-state", daemon=True).start()
            if idle:
                # Only a writer waiting for work needs waking: one in its coalescing pause would
                # wake, take the GIL from the caller and go back to sleep, at every put.
                self._changed.notify_all()

    def flush(self, timeout: float | None = None) -> bool:
        """Write what is pending now; False if that did not finish within ``timeout`` seconds."""
        with self._changed:
            self._hurry += 1
            self._changed.notify_all()
            try:
                return self._changed.wait_for(lambda: not self._pending and not self._writing, timeout)
            finally:
                self._hurry -= 1

    def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Flush, then stop the thread (a later ``submit`` starts a new one)."""
        written = self.flush(timeout)
        with self._changed:
            self._closed = True
            self._changed.notify_all()
            left = len(self._pending)
        if not written and left:
            logger.error(
                "The readable state of %d runs could not be written before close; "
                "the refresh_readable_states schedule rebuilds it from their checkpoints",
                left,
            )

    def _loop(self) -> None:
        pause = 0.0
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._pending or self._closed, IDLE_SECONDS)
                if not self._pending or (self._closed and pause):
                    # Idle, or closed with nothing left (or only what the database keeps refusing).
                    self._running = False
                    self._changed.notify_all()
                    return
                # The coalescing pause: checkpoints of the next `delay` seconds replace these.
                self._changed.wait_for(lambda: self._hurry or self._closed, self.delay)
                batch, self._pending = self._pending, {}
                self._writing = True
            failed = not self._write_logged(list(batch.values()))
            with self._changed:
                self._writing = False
                if failed:
                    for thread_id, state in batch.items():
                        self._pending.setdefault(thread_id, state)  # unless a newer one came
                self._changed.notify_all()
                pause = min(max(2 * pause, self.delay, 0.05), RETRY_PAUSE_MAX) if failed else 0.0
                if pause:
                    self._changed.wait_for(lambda: self._closed, pause)

    def _write_logged(self, states: list[PendingState]) -> bool:
        started = time.thread_time()
        try:
            self._write(states)
        except Exception:
            # Kept and retried: the thread must outlive a database restart.
            logger.exception("Writing the readable state of %d runs failed; retrying", len(states))
            return False
        self.statements += 1
        self.rows += len(states)
        self.cpu_seconds += time.thread_time() - started
        return True


_open_writers: weakref.WeakSet[ReadableStateWriter] = weakref.WeakSet()


@atexit.register
def _flush_at_exit() -> None:
    """A script that never closes its saver still gets its last states written."""
    for writer in list(_open_writers):
        writer.flush(CLOSE_TIMEOUT)
