"""Queueing django-q2 tasks from services: by dotted name, with primary keys, after the commit.

A task queued while a request is served carries that request's id (X-Request-ID, django-guid),
and the worker that runs it logs under the same id: :func:`carry_request_id` and
:func:`adopt_request_id`, connected to django-q2's ``pre_enqueue`` and ``pre_execute`` signals by
``myloware.workers`` (the only hooks django-q2 has around a task's package).
"""

from __future__ import annotations

import functools
from typing import Any

from django.db import transaction
from django_guid import get_guid, set_guid
from django_q.tasks import async_task

REQUEST_ID = "request_id"


def enqueue(func: str, *args: Any) -> None:
    """Queue ``func(*args)`` now (the caller knows its rows are committed)."""
    async_task(func, *args)


def enqueue_on_commit(func: str, *args: Any) -> None:
    """Queue ``func(*args)`` once the current transaction commits (at once outside one): a task
    that ran before the commit would not see the rows it was queued for."""
    transaction.on_commit(functools.partial(enqueue, func, *args))


def carry_request_id(task: dict[str, Any], **_: Any) -> None:
    """Put the current request id (if any) into the package of a task being queued."""
    task[REQUEST_ID] = get_guid()


def adopt_request_id(task: dict[str, Any], **_: Any) -> None:
    """Run the task under the id it was queued with (none for a schedule's): every line it logs
    names the request that asked for it, and no id is left over from the worker's previous task."""
    set_guid(task.get(REQUEST_ID))  # type: ignore[arg-type]
