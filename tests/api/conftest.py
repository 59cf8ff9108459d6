"""The API through the whole HTTP stack on the test database.

``http`` hands each request to Django's WSGI application in this process (httpx's WSGI transport:
the request is built and parsed as on the wire, only the socket is skipped), inside the test's
transaction: a test's settings apply and its writes roll back with it. ``gunicorn_url``
(tests/conftest.py: gunicorn as `make run` and production start it, in its own process) where the
judge is the HTTP framing itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections

from myloware.api.models import ALL_SCOPES, ApiKey
from myloware.api.services import api_key_create


@pytest.fixture
def live_key(transactional_db: None) -> str:
    return api_key_create(name="edge-tester", scopes=ALL_SCOPES)[1]


@pytest.fixture
def http(api_key: tuple[ApiKey, str]) -> Iterator[httpx.Client]:
    """An HTTP client of the WSGI application, authenticated with an API key."""
    # Django closes the connection after each request, which would end the test's transaction;
    # its own test client disconnects the same receiver for the same reason.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    transport = httpx.WSGITransport(app=get_wsgi_application())
    try:
        with httpx.Client(
            transport=transport, base_url="http://testserver", headers={"X-API-Key": api_key[1]}
        ) as client:
            yield client
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


def assert_json_error(response: httpx.Response, status: int) -> dict[str, Any]:
    """The one JSON error shape with ``status``; returns the error object."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["Content-Type"].startswith("application/json"), response.text[:200]
    error = response.json()["error"]
    assert error["status"] == status and error["code"] and error["message"]
    return error
