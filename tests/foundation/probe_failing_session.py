"""Run only by test_make_test_leaves_nothing_running (named so pytest never collects it itself).

A test session that starts the embedded server, uses it, then fails.
"""

from __future__ import annotations

import os

import pytest
from django.db import connection


@pytest.mark.skipif(not os.environ.get("MYLOWARE_PROBE"), reason="run by test_side_effects.py only")
def test_touches_the_database_then_fails(django_db_blocker) -> None:  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        connection.ensure_connection()
    raise AssertionError("failing on purpose, after the server started")
