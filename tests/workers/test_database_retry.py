"""A task that lost its database retries in seconds, within a budget, on a controlled clock."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import OperationalError

from myloware.workers.database import call_with_database_retry


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.pauses: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


def flaky(failures: int) -> tuple[list[int], Callable[[], str]]:
    calls: list[int] = []

    def run() -> str:
        calls.append(1)
        if len(calls) <= failures:
            raise OperationalError("terminating connection due to administrator command")
        return "processed"

    return calls, run


def test_a_database_outage_is_retried_with_growing_pauses_until_it_works() -> None:
    clock = Clock()
    calls, run = flaky(4)
    assert call_with_database_retry(run, budget=60, clock=clock, sleep=clock.sleep) == "processed"
    assert len(calls) == 5
    assert clock.pauses == [0.5, 1.0, 2.0, 4.0]


def test_past_the_budget_the_error_is_raised() -> None:
    clock = Clock()
    calls, run = flaky(100)
    with pytest.raises(OperationalError):
        call_with_database_retry(run, budget=10, clock=clock, sleep=clock.sleep)
    assert clock.now <= 10
    assert clock.pauses == [0.5, 1.0, 2.0, 4.0]


def test_other_errors_are_not_retried() -> None:
    clock = Clock()

    def broken() -> None:
        raise ValueError("a bug, not an outage")

    with pytest.raises(ValueError):
        call_with_database_retry(broken, budget=60, clock=clock, sleep=clock.sleep)
    assert clock.pauses == []
