"""`manage.py run_workers` as a real process on the test database: stops cleanly every time
(django-q2 #346 deadlocked ours at 15 s, 4 stops of 4), and a dead sentinel leaves no orphan."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import psutil
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from myloware.workers.models import WorkerHeartbeat, WorkerRole
from myloware.workers.selectors import cluster_health
from tests.workers.harness import alive, wait_for
from webhooks.models import EventStatus, SignatureStatus, WebhookDLQ, WebhookEvent

pytestmark = pytest.mark.django_db(transaction=True)
CLUSTER = "run-workers-test"
STOP_GRACE = 3


def start_workers(log: Path, **extra: str) -> subprocess.Popen[bytes]:
    db = connection.settings_dict
    host = connection.get_connection_params()["host"]  # the embedded server's socket folder
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "myloware.settings",
        "DATABASE_URL": f"postgresql://{db['USER']}@/{db['NAME']}?host={host}",
        "MYLOWARE_LOAD_DEV_ENV": "0",
        "MYLOWARE_WORKER_NAME": CLUSTER,
        "Q_WORKERS": "2",
        "WORKER_STALE_AFTER": "10",
        "WORKER_CANARY_SECONDS": "1",
        "WORKER_STOP_GRACE": str(STOP_GRACE),
    }
    env.update(extra)
    env.pop("Q_SYNC", None)
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "run_workers"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=out,
        )


def family_of(process: subprocess.Popen[bytes]) -> list[psutil.Process]:
    def grown() -> list[psutil.Process]:
        children = psutil.Process(process.pid).children(recursive=True)
        return children if len(children) >= 5 else []  # sentinel, 2 workers, monitor, pusher

    return wait_for(grown, seconds=60, what="the cluster's processes")


def test_sigterm_stops_the_cluster_gracefully_within_the_grace_every_time(tmp_path: Path) -> None:
    log = tmp_path / "workers.log"
    for _ in range(3):
        workers = start_workers(log)
        try:
            family = family_of(workers)
            wait_for(
                lambda: cluster_health(cluster=CLUSTER).last_task_at, seconds=60, what="a task went through"
            )
            started = time.monotonic()
            workers.send_signal(signal.SIGTERM)
            assert workers.wait(timeout=STOP_GRACE + 10) == 0, log.read_text()[-3000:]
            assert time.monotonic() - started < STOP_GRACE + 10
            assert not [p.pid for p in family if alive(p.pid)]
        finally:
            if workers.poll() is None:
                workers.kill()
    output = log.read_text()
    assert output.count("stopped at") == 3
    assert "did not stop within" not in output  # graceful: the sentinel finished, nothing was killed


def test_a_killed_sentinel_ends_the_cluster_with_status_1_and_no_orphan(tmp_path: Path) -> None:
    log = tmp_path / "workers.log"
    workers = start_workers(log)
    try:
        family = family_of(workers)
        [sentinel] = psutil.Process(workers.pid).children()
        sentinel.kill()  # its workers are re-parented: only the main process still knows them
        assert workers.wait(timeout=30) == 1
        wait_for(lambda: not [p.pid for p in family if alive(p.pid)], seconds=10, what="no process left")
    finally:
        if workers.poll() is None:
            workers.kill()


def test_the_sweep_and_the_dlq_replay_run_while_every_worker_is_frozen(tmp_path: Path) -> None:
    """The repair jobs run in run_workers' main process: a cluster that processes nothing (its
    workers stopped with SIGSTOP) cannot starve them."""
    log = tmp_path / "workers.log"
    workers = start_workers(
        log,
        WEBHOOK_SWEEP_SECONDS="1",
        WEBHOOK_STANDARD_PROVIDERS="faults",
        WEBHOOK_SCHEME_FAULTS="token",
        WEBHOOK_SECRET_FAULTS="repair-test-token",
    )
    frozen: list[psutil.Process] = []
    try:
        family_of(workers)
        wait_for(lambda: WorkerHeartbeat.objects.filter(cluster=CLUSTER, role=WorkerRole.WORKER).count() == 2,
                 seconds=60, what="both workers registered")  # fmt: skip
        for row in WorkerHeartbeat.objects.filter(cluster=CLUSTER, role=WorkerRole.WORKER):
            process = psutil.Process(row.pid)
            process.suspend()
            frozen.append(process)
        long_ago = timezone.now() - timedelta(hours=1)
        stale = stored_event(received_at=long_ago, status=EventStatus.RECEIVED)
        failed = stored_event(received_at=long_ago, status=EventStatus.FAILED)
        WebhookDLQ.objects.create(
            provider="faults",
            idempotency_key=failed.idempotency_key,
            event=failed,
            payload=b"{}",
            next_retry_at=long_ago,
        )

        def repaired() -> bool:
            statuses = set(
                WebhookEvent.objects.filter(pk__in=[stale.pk, failed.pk]).values_list("status", flat=True)
            )
            return statuses == {EventStatus.IGNORED} and not WebhookDLQ.objects.exists()

        wait_for(repaired, seconds=30, what="the stale event swept and the DLQ entry replayed")
        assert all(process.status() == psutil.STATUS_STOPPED for process in frozen)
    finally:
        for process in frozen:
            with contextlib.suppress(psutil.Error):
                process.resume()
        workers.send_signal(signal.SIGTERM)
        workers.wait(timeout=30)


def stored_event(*, received_at: datetime, status: str) -> WebhookEvent:
    return WebhookEvent.objects.create(
        idempotency_key=uuid.uuid4().hex, provider="faults", payload=b"{}", signature_status=SignatureStatus.VALID,
        status=status, received_at=received_at,
    )  # fmt: skip
