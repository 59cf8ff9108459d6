"""Shared fixtures. Tests run against the real embedded PostgreSQL with pgvector."""

from __future__ import annotations

import fcntl
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import connection
from rest_framework.test import APIClient

from myloware.api.models import ALL_SCOPES, ApiKey
from myloware.api.services import api_key_create
from myloware.db import started_by_this_process, stop_embedded_server
from runs.models import Run
from tests import factories
from tests.browser import Console, browser_fixture, console_fixture
from tests.servers import gunicorn
from webhooks.services import LoopControl, webhook_events_process_forever

# --- temporary folders -------------------------------------------------------------------------
# Tests start embedded servers in tmp_path; when we are root, PostgreSQL runs as a user of its own
# that must traverse every parent folder. Every pytest session of the same user tightens pytest's
# shared /tmp/pytest-of-<user> to 0700 again (and prunes its older sessions' folders), which would
# cut off a server another session is running, so each session gets a base folder of its own.
_own_basetemp: Path | None = None


@pytest.hookimpl(tryfirst=True)  # before pytest's tmp_path plugin reads the option
def pytest_configure(config: pytest.Config) -> None:
    global _own_basetemp
    if config.option.basetemp is None:
        _own_basetemp = Path(tempfile.mkdtemp(prefix="myloware-tests-"))
        config.option.basetemp = str(_own_basetemp)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _own_basetemp is not None:
        shutil.rmtree(_own_basetemp, ignore_errors=True)  # a killed server's files may still vanish


# --- the embedded server's lifetime ----------------------------------------------------------
# The first connection starts the embedded PostgreSQL (myloware.embedded_pg). A test session that
# started it stops it when it ends, passed or failed, so `make test` leaves nothing running; with
# several test sessions on one server (MYLOWARE_TEST_DB), the last one out stops it. Every session
# holds a shared lock on a file beside the data folder; a marker records that a test session
# started the server, so a server started by `make run` is never stopped by the tests.
_session_lock: IO[str] | None = None


def _embedded_datadir() -> Path | None:
    datadir = settings.DATABASES["default"].get("EMBEDDED_DATADIR")
    return Path(datadir) if datadir else None


def pytest_sessionstart(session: pytest.Session) -> None:
    global _session_lock
    datadir = _embedded_datadir()
    if datadir is not None:
        datadir.parent.mkdir(parents=True, exist_ok=True)
        _session_lock = (datadir.parent / "test-sessions.lock").open("a")
        fcntl.flock(_session_lock, fcntl.LOCK_SH)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    datadir = _embedded_datadir()
    if datadir is None or _session_lock is None:
        return
    marker = datadir.parent / "pgdata.started-by-tests"
    if started_by_this_process(datadir):
        marker.touch()
    try:
        fcntl.flock(_session_lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return  # another test session still uses the server; the last one stops it
    if marker.exists():
        from django.db import connections

        connections.close_all()
        stop_embedded_server(datadir)
        marker.unlink()


@pytest.fixture
def make_run(db: None) -> Callable[..., Run]:
    """``tests.factories.make_run``: a run moved through the real transitions to a status."""
    return factories.make_run


@pytest.fixture
def make_api_key(db: None) -> Callable[..., tuple[ApiKey, str]]:
    counter = iter(range(1, 10_000))

    def _make(name: str | None = None, scopes: tuple[str, ...] = ALL_SCOPES) -> tuple[ApiKey, str]:
        return api_key_create(name=name or f"test-key-{next(counter)}", scopes=scopes)

    return _make


@pytest.fixture
def api_key(make_api_key: Callable[..., tuple[ApiKey, str]]) -> tuple[ApiKey, str]:
    return make_api_key("orchestrator")


@pytest.fixture
def api_client(api_key: tuple[ApiKey, str]) -> APIClient:
    """A DRF test client authenticated as the API key named ``orchestrator`` (every scope)."""
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=api_key[1])
    return client


@pytest.fixture
def anonymous_client() -> APIClient:
    return APIClient()


@pytest.fixture
def operator(db: None) -> User:
    """A staff user in the ``operators`` group (created by migration)."""
    user = User.objects.create_user("operator", password="operator-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name="operators"))
    return user


@pytest.fixture
def operator_client(client, operator: User):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    return client


@pytest.fixture
def superuser_client(client, django_user_model):  # type: ignore[no-untyped-def]
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "root-pass-123")
    client.force_login(admin)
    return client


@pytest.fixture
def gunicorn_url(transactional_db: None, tmp_path: Path) -> Iterator[str]:
    """Base URL of gunicorn serving the test database with our gunicorn configuration (its
    settings from the environment: ``monkeypatch.setenv`` before this fixture)."""
    with gunicorn(tmp_path) as base:
        yield base


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    """A bare headless Chromium (fails naming the install command when it is missing, and on
    anything the Content-Security-Policy blocked)."""
    yield from browser_fixture()


@pytest.fixture
def console(request, live_server) -> Console:  # type: ignore[no-untyped-def]
    """Headless Chromium at the live server, saving a screenshot of every page it visits."""
    yield from console_fixture(request, live_server)


@pytest.fixture
def unreachable_database(django_db_blocker: Any) -> Iterator[None]:
    """Point the default connection at a socket folder where no server listens."""
    with django_db_blocker.unblock():
        connection.close()
        original = dict(connection.settings_dict)
        connection.settings_dict["HOST"] = "/nonexistent-socket-dir"
        connection.settings_dict["OPTIONS"] = {**original.get("OPTIONS", {}), "connect_timeout": 1}
        try:
            yield
        finally:
            connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(original)


@pytest.fixture
def webhook_loop(transactional_db: None, settings: Any) -> Iterator[None]:
    """The webhook loop (``manage.py process_webhooks``'s service) running in a thread, for tests
    whose provider callbacks arrive over HTTP (a live server) and must be processed meanwhile."""
    settings.WEBHOOK_LOOP_POLL = 0.02
    control = LoopControl()

    def loop() -> None:
        try:
            webhook_events_process_forever(control=control)
        finally:
            connection.close()

    thread = threading.Thread(target=loop, name="webhook-loop")
    thread.start()
    yield
    control.stop = True
    thread.join(timeout=30)
    assert not thread.is_alive(), "the webhook loop did not stop"
