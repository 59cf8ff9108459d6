"""Faults injected into a real `make run`: processes killed for real, under load.

One `make run` serves the module (its start, with a fresh embedded database, is the slow part);
each test first waits until work flows, so none depends on another. The watchdog runs with
WORKER_STALE_AFTER=10 s here (30 s by default) to keep the suite short; bench/worker_faults.py
runs the same faults with the defaults.
"""

from __future__ import annotations

import os
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.workers.harness import STALE_AFTER, Devserver, alive, wait_for


@pytest.fixture(scope="module")
def make_run() -> Iterator[Devserver]:
    # Not pytest's tmp_path: another pytest session of the same user may prune old base
    # folders, and this one holds a running database.
    with tempfile.TemporaryDirectory(prefix="myloware-make-run-") as folder:
        server = Devserver(Path(folder))
        try:
            server.start()
            yield server
        finally:
            server.kill_leftovers()


@pytest.fixture
def server(make_run: Devserver) -> Devserver:
    # Both conditions: /healthz counts a killed worker's row until run_workers prunes it, so
    # "flowing with 2 workers" alone can be true while a replacement is still starting.
    wait_for(
        lambda: make_run.flowing() and len(make_run.worker_pids()) == 2,
        seconds=60,
        what="work flowing through both workers, both alive",
    )
    return make_run


def test_killing_workers_under_load_processes_every_accepted_webhook_exactly_once(server: Devserver) -> None:
    first, second = server.worker_pids()
    sender, accepted = server.post_in_background(240)
    wait_for(lambda: len(accepted) >= 40, seconds=30, what="40 deliveries accepted")
    os.kill(first, signal.SIGKILL)
    wait_for(lambda: len(accepted) >= 120, seconds=30, what="120 deliveries accepted")
    os.kill(second, signal.SIGKILL)  # both originals gone: whoever held the queue's lock died
    sender.join()
    server.assert_each_processed_exactly_once(accepted, seconds=STALE_AFTER + 40)
    assert not alive(first) and not alive(second)


def test_killing_the_idle_workers_then_loading_processes_every_accepted_webhook_exactly_once(
    server: Devserver,
) -> None:
    """The issue's case: idle workers, one of them blocked in the task queue's read holding its
    lock. Killed, the lock is never released and the new workers wait forever (django-q2 #23)
    — unless the watchdog replaces the cluster."""
    workers = server.worker_pids()
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    accepted = server.post_webhooks(120)
    server.assert_each_processed_exactly_once(accepted, seconds=STALE_AFTER + 40)
    assert not any(alive(pid) for pid in workers)


def test_killing_the_cluster_main_process_leaves_no_orphan_and_a_new_cluster_takes_over(
    server: Devserver,
) -> None:
    main = server.workers_main()
    family = server.group(main.pid)
    assert len(family) >= 5  # main, sentinel, 2 workers, monitor, pusher
    sender, accepted = server.post_in_background(120)
    wait_for(lambda: len(accepted) >= 30, seconds=30, what="30 deliveries accepted")
    main.kill()
    wait_for(lambda: not server.group(main.pid), seconds=10, what="every process of the killed cluster gone")
    sender.join()
    server.assert_each_processed_exactly_once(accepted, seconds=40)
    # The processors may have drained every event before the group was killed: the new
    # cluster may still be starting (the supervisor checks every second).
    wait_for(lambda: server.workers_main_pid() not in (None, main.pid), seconds=15, what="a new cluster")


def test_frozen_workers_are_detected_and_replaced_by_the_supervisor(server: Devserver) -> None:
    """SIGSTOP: the workers live but take no task, as in the django-q2 #23 wedge. Only the
    heartbeat can tell; the supervisor must replace the cluster within the bound."""
    main = server.workers_main()
    workers = server.worker_pids()
    for pid in workers:
        os.kill(pid, signal.SIGSTOP)
    frozen_at = time.monotonic()
    accepted = server.post_webhooks(60)
    wait_for(
        lambda: server.workers_main_pid() not in (None, main.pid),
        seconds=STALE_AFTER + 20,
        what="cluster replaced",
    )
    replaced_after = time.monotonic() - frozen_at
    assert replaced_after <= STALE_AFTER + 20
    assert not any(alive(pid) for pid in workers)  # killed with their group, not left
    server.assert_each_processed_exactly_once(accepted, seconds=40)


def test_a_stopped_embedded_database_is_started_again_and_every_accepted_webhook_processed_once(
    server: Devserver,
) -> None:
    """SIGINT to the postmaster is PostgreSQL's fast shutdown: what `pg_ctl stop` does."""
    accepted = server.post_webhooks(60)
    postmaster = server.postmaster_pid()
    os.kill(postmaster, signal.SIGINT)
    wait_for(lambda: not alive(postmaster), seconds=30, what="the database stopped")
    wait_for(server.healthy, seconds=60, what="/healthz 200 again after the database was stopped")
    accepted += server.post_webhooks(60)
    server.assert_each_processed_exactly_once(accepted, seconds=40)


def test_a_crashed_embedded_database_comes_back_and_loses_no_accepted_webhook(server: Devserver) -> None:
    """kill -9 of the postmaster: a processing task queued with synchronous_commit off in the
    last instant may be lost with the crash; its event is stored and waits for the sweep
    (WEBHOOK_STALE_AFTER). Every event accepted after the crash is processed at once."""
    before = server.post_webhooks(60)
    postmaster = server.postmaster_pid()
    os.kill(postmaster, signal.SIGKILL)
    wait_for(server.healthy, seconds=60, what="/healthz 200 again after the database was killed")
    assert server.postmaster_pid() != postmaster
    after = server.post_webhooks(60)
    server.assert_each_processed_exactly_once(after, seconds=40)
    outcomes = server.outcomes(before)
    assert len(outcomes) == len(before)  # all stored
    assert all(outcome in {("ignored", 1, False), ("received", 0, False)} for outcome in outcomes.values())


def test_workers_whose_connections_were_terminated_process_the_next_webhooks_within_seconds(
    server: Devserver,
) -> None:
    """ "terminating connection due to administrator command": workers check their connection
    before each task, so the next tasks reconnect; nothing waits for the 5-minute sweep."""
    terminated = server.sql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = 'myloware' AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
    )
    assert terminated
    accepted = server.post_webhooks(30)
    server.assert_each_processed_exactly_once(accepted, seconds=30)
