"""Queueing django-q2 tasks from services: by dotted name, with primary keys, after the commit."""

from __future__ import annotations

import functools
from typing import Any

from django.db import transaction
from django_q.tasks import async_task


def enqueue(func: str, *args: Any) -> None:
    """Queue ``func(*args)`` now (the caller knows its rows are committed)."""
    async_task(func, *args)


def enqueue_on_commit(func: str, *args: Any) -> None:
    """Queue ``func(*args)`` once the current transaction commits (at once outside one): a task
    that ran before the commit would not see the rows it was queued for."""
    transaction.on_commit(functools.partial(enqueue, func, *args))
