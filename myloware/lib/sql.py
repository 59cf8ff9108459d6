"""Hot statements on the calling thread's Django connection: server-side binding, prepared once.

Django's cursor binds parameters on the client (psycopg's ClientCursor quotes every value into the
SQL text in Python) and never prepares, so PostgreSQL parses and plans each call again. For the
few statements that run once per request at the rate of a provider's burst (the webhook intake),
that was a third of the request's CPU. :func:`execute_prepared` sends the same statement text
with its parameters apart and has PostgreSQL prepare it on the connection's first use.

The statement runs on the same psycopg connection as the ORM, so it is inside whatever
transaction (or autocommit) the caller has, and database errors arrive as Django's
(``django.db.DatabaseError`` and its subclasses), as from ``connection.cursor()``. psycopg forgets
its prepared statements on a rollback and re-prepares on the next call, so tests that roll back
are safe. What is not seen: Django's query log (``connection.queries``, ``assertNumQueries``).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from django.db import connections

# Django opens psycopg connections with prepare_threshold=None (never prepare). Any number makes
# explicit ``prepare=True`` work; this one is never reached, so nothing else gets prepared.
PREPARE_ONLY_WHEN_ASKED = 2**31 - 1


def allow_prepared_statements(raw: psycopg.Connection[Any]) -> None:
    """Let statements executed with ``prepare=True`` be prepared, with one generic plan each.

    Planned once per connection: for short statements planning costs more than running them
    (the intake's: 0.18 ms vs 0.14; the checkpointer's CTEs alike). Only statements prepared
    with parameters use the plan cache, i.e. only these: Django's own statements bind
    client-side. Idempotent per psycopg connection.
    """
    if raw.prepare_threshold is None:
        raw.prepare_threshold = PREPARE_ONLY_WHEN_ASKED
        raw.execute("SET plan_cache_mode = force_generic_plan")


def execute_prepared(
    sql: str, params: Sequence[Any] | Mapping[str, Any], *, using: str = "default"
) -> list[tuple[Any, ...]]:
    """Run ``sql`` (``%s`` placeholders with a list, ``%(name)s`` with a mapping) on the thread's
    connection ``using``; the rows it returns."""
    wrapper = connections[using]
    with wrapper.wrap_database_errors:
        wrapper.ensure_connection()
        wrapper.validate_no_broken_transaction()
        raw = wrapper.connection
        allow_prepared_statements(raw)
        cursor = _cursors.get(wrapper)
        if cursor is None or cursor.connection is not raw:
            # One cursor per connection, kept: a new one starts with an empty cache of dumpers
            # and looks each parameter's type up again (a quarter of the statement's CPU).
            cursor = _cursors[wrapper] = psycopg.Cursor(raw)
        cursor.execute(sql, params, prepare=True)
        return cursor.fetchall() if cursor.description else []


_cursors: weakref.WeakKeyDictionary[Any, psycopg.Cursor[Any]] = weakref.WeakKeyDictionary()
