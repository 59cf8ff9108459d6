"""The one thread race of the concurrency tests: ``count`` threads released together."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection

BARRIER_TIMEOUT = 30  # seconds: a thread that never arrives fails the test instead of hanging it


def race(count: int, work: Callable[[int], Any], *, connect_first: bool = False) -> list[Any]:
    """Run ``work(0) … work(count - 1)`` in ``count`` threads that start at one barrier; each
    slot holds the return value or the exception raised (the outcome is what a test inspects).
    ``connect_first``: every thread opens its database connection before the barrier, so the
    work itself overlaps. Every thread closes its own connection."""
    barrier = threading.Barrier(count, timeout=BARRIER_TIMEOUT)
    outcomes: list[Any] = [None] * count

    def worker(index: int) -> None:
        try:
            if connect_first:
                connection.ensure_connection()
            barrier.wait()
            outcomes[index] = work(index)
        except Exception as exc:  # noqa: BLE001 - returned to the test
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def race_all(targets: list[Callable[[], Any]]) -> list[Any]:
    """``race`` over different callables: ``targets[i]()`` in thread ``i``."""
    return race(len(targets), lambda index: targets[index]())


def raised(outcomes: list[Any]) -> list[BaseException]:
    """The exceptions among ``race``'s outcomes (a test asserts there are none, or which)."""
    return [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
