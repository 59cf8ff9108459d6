"""The API over real HTTP on the test database.

``live_server`` (pytest-django's threaded WSGI server, in this process, so a test's settings apply)
for tests of our code; ``gunicorn_url`` (tests/conftest.py: gunicorn as `make run` and production
start it, in its own process) where the judge is the HTTP framing itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from myloware.api.models import ALL_SCOPES
from myloware.api.services import api_key_create


@pytest.fixture
def live_key(transactional_db: None) -> str:
    return api_key_create(name="edge-tester", scopes=ALL_SCOPES)[1]


@pytest.fixture
def http(live_server: Any, live_key: str) -> Iterator[httpx.Client]:
    """An HTTP client of the live server, authenticated with an API key."""
    with httpx.Client(base_url=live_server.url, headers={"X-API-Key": live_key}, timeout=30) as client:
        yield client


def assert_json_error(response: httpx.Response, status: int) -> dict[str, Any]:
    """The one JSON error shape with ``status``; returns the error object."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["Content-Type"].startswith("application/json"), response.text[:200]
    error = response.json()["error"]
    assert error["status"] == status and error["code"] and error["message"]
    return error
