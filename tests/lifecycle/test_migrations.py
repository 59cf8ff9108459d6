"""Every migration has a way back: on an empty database, every app migrates to zero and forward
again to the same schema (docs/operations.md, Upgrades)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

ROUND_TRIP_TIMEOUT = 600  # seconds: three full migration runs on a loaded 2-core box


@pytest.fixture
def empty_database(django_db_blocker: Any) -> Iterator[str]:
    """A new, empty database on the test server; its DATABASE_URL."""
    name = f"{connection.settings_dict['NAME']}_round_trip_{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        connection.ensure_connection()
        params = connection.get_connection_params()
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        user = quote(params.get("user") or "postgres")
        url = f"postgresql://{user}@/{name}?host={quote(params['host'])}"
        if params.get("port"):
            url = f"postgresql://{user}@:{params['port']}/{name}?host={quote(params['host'])}"
        try:
            yield url
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_every_app_migrates_to_zero_and_forward_again(empty_database: str) -> None:
    env = {**os.environ, "DATABASE_URL": empty_database, "DJANGO_SETTINGS_MODULE": "myloware.settings"}
    result = subprocess.run(
        [sys.executable, "-m", "tests.lifecycle.migrate_round_trip"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=ROUND_TRIP_TIMEOUT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.splitlines()[-1])
    assert {"runs", "artifacts", "webhooks", "knowledge", "socials", "api", "workers"} <= set(found["apps"])
    assert found["left_at_zero"] == []
    assert found["same_schema"] is True
