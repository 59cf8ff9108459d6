"""Run only by test_make_test_leaves_nothing_running (named so pytest never collects it itself).

A test session that starts the embedded server, uses it, then fails.
"""

from __future__ import annotations

from django.db import connection


def test_touches_the_database_then_fails(django_db_blocker) -> None:  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        connection.ensure_connection()
    raise AssertionError("failing on purpose, after the server started")
