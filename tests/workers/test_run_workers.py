"""`manage.py run_workers` as a real process on the test database: stops cleanly every time
(django-q2 #346 deadlocked ours at 15 s, 4 stops of 4), and a dead sentinel leaves no orphan."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from django.conf import settings
from django.db import connection

from myloware.workers.selectors import cluster_health
from tests.workers.harness import alive, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
CLUSTER = "run-workers-test"
STOP_GRACE = 3


def start_workers(log: Path) -> subprocess.Popen[bytes]:
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
