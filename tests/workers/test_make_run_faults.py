"""Faults injected into a real `make run`, under webhook load: processes killed (kill -9) or frozen
(SIGSTOP, then SIGCONT), the database stopped for 20 s. Every accepted webhook is processed exactly
once within 60 s of the fault's end, /healthz is 503 naming the part while work cannot flow, and
django-q2 jobs flow again afterwards.

One `make run` serves the module (its start, with a fresh embedded database, is the slow part);
each test first waits until /healthz is 200, so none depends on another or on their order. The
bounds are short here (HEALTH_MAX_LAG=25 s, Q_TIMEOUT=8 s: tests/workers/harness.py);
bench/worker_faults.py runs the same drill with the product's defaults. The stop on SIGTERM is in
tests/foundation/test_make_run.py (it ends its instance).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator

import psutil
import pytest

from myloware.health import CLUSTER_PARTS
from myloware.workers.selectors import SCHEDULER_CYCLE_SECONDS
from tests.workers.harness import BASE_DIR, TEST_ENV, MakeRun, alive, wait_for

pytestmark = pytest.mark.fault

LIMIT = int(TEST_ENV["HEALTH_MAX_LAG"])
CLUSTER = {"qcluster main process", "django-q2 sentinel", "django-q2 pool"}
# Processes whose children share their group: killed, they must not leave it running.
GROUP_LEADERS = {"gunicorn master", "qcluster main process", "django-q2 sentinel"}
RECOVERY = 60  # the promise: every accepted webhook processed within 60 s of the fault's end


@pytest.fixture(scope="module")
def make_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MakeRun]:
    server = MakeRun(tmp_path_factory.mktemp("make-run"))
    try:
        server.start()
        yield server
    finally:
        try:
            server.kill_leftovers()
        finally:
            # Everything the processes wrote, kept for whoever reads a failure (a CI artifact).
            shutil.copy(server.log, BASE_DIR / "var" / "make-run-faults.log")


@pytest.fixture
def server(make_run: MakeRun) -> MakeRun:
    wait_for(make_run.ready, seconds=RECOVERY, what="the whole make run up before the fault")
    return make_run


def jobs_flow(server: MakeRun) -> None:
    """A one-off django-q2 job queued now is done within the bound."""
    paths = server.post_documents(1)
    wait_for(lambda: server.embedded(paths), seconds=RECOVERY, what="an embedding job done by the cluster")


# --- kill -9 ------------------------------------------------------------------------------------

KILLABLE: dict[str, Callable[[MakeRun], psutil.Process]] = {
    "webhook loop": lambda server: server.program("process_webhooks"),
    "gunicorn master": lambda server: server.program("gunicorn"),
    "gunicorn worker": lambda server: server.program("gunicorn").children()[0],
    "postgres": lambda server: psutil.Process(server.postmaster_pid()),
    "qcluster main process": lambda server: server.program("qcluster"),
    "django-q2 sentinel": lambda server: server.sentinel(),
}


@pytest.mark.parametrize("name", list(KILLABLE))
def test_kill_9_under_load_loses_no_webhook_and_leaves_no_orphan(server: MakeRun, name: str) -> None:
    victim = KILLABLE[name](server)
    # Its process group (for a program: all it started) must not outlive it.
    group = [member.pid for member in server.group(os.getpgid(victim.pid)) if member.pid != victim.pid]
    sender, accepted = server.post_in_background(120)
    wait_for(lambda: len(accepted) >= 30, seconds=30, what="30 deliveries accepted")
    victim.kill()
    sender.join()
    accepted += server.post_webhooks(30)  # after the fault, once the intake is back
    server.assert_each_processed_exactly_once(accepted, seconds=RECOVERY)
    if name in GROUP_LEADERS:
        wait_for(lambda: not any(alive(pid) for pid in group), seconds=15, what=f"the {name}'s group gone")
    wait_for(server.healthy, seconds=RECOVERY, what="/healthz 200 again")
    if name in CLUSTER:
        jobs_flow(server)


def test_a_killed_idle_pool_wedges_the_cluster_until_the_supervisor_restarts_it(server: MakeRun) -> None:
    """django-q2 #23/#339: a worker killed while waiting for a task holds the task queue's lock;
    the replacements wait forever while every process lives. /healthz sees queued jobs that
    nothing finishes and names the task queue (or a schedule gone late first, whichever the
    machine's load makes come first); make run's listener restarts the cluster."""
    cluster = server.program("qcluster").pid
    for process in server.cluster_pool():
        process.kill()
    # More jobs than the task queue holds (Q_WORKERS² = 4), so that some wait in the broker.
    paths = server.post_documents(6)
    accepted = server.post_webhooks(60)
    # The listener restarts the cluster only on a 503 naming one of its parts: seeing either will do.
    wait_for(
        lambda: set(CLUSTER_PARTS) & set(server.health()[1]) or server.program_pid("qcluster") != cluster,
        seconds=LIMIT + 30,
        what="503 naming the cluster",
    )
    # The listener restarts a cluster that has run longer than its grace (HEALTH_MAX_LAG + the
    # scheduler's 30 s cycle): an earlier test may have started this one a moment ago.
    wait_for(
        lambda: server.program_pid("qcluster") not in (None, cluster),
        seconds=LIMIT + SCHEDULER_CYCLE_SECONDS + 15,
        what="cluster restarted",
    )
    wait_for(lambda: server.embedded(paths), seconds=RECOVERY, what="the waiting jobs done")
    server.assert_each_processed_exactly_once(accepted, seconds=RECOVERY)
    wait_for(server.healthy, seconds=RECOVERY, what="/healthz 200 again")


# --- SIGSTOP, then SIGCONT ------------------------------------------------------------------------


def test_frozen_webhook_loops_are_503_then_catch_up_when_thawed(server: MakeRun) -> None:
    loops = server.programs("process_webhooks")
    for loop in loops:
        loop.suspend()
    try:
        accepted = server.post_webhooks(60)  # the intake still accepts: the events wait
        wait_for(lambda: "webhook_loop" in server.health()[1], seconds=LIMIT + 20, what="503 naming the loop")
    finally:
        for loop in loops:
            loop.resume()
    thawed = time.monotonic()
    server.assert_each_processed_exactly_once(accepted, seconds=RECOVERY)
    assert time.monotonic() - thawed < RECOVERY
    wait_for(server.healthy, seconds=RECOVERY, what="/healthz 200 again")


def test_a_loop_frozen_inside_its_batch_loses_its_claim_to_the_other_copy(server: MakeRun) -> None:
    """While one copy stays frozen, PostgreSQL ends its session idle inside the claim's transaction
    (CLAIM_IDLE_TIMEOUT): the events it held are processed by the other copy, once."""
    frozen, _other = server.programs("process_webhooks")[:2]
    sender, accepted = server.post_in_background(240)
    wait_for(lambda: len(accepted) >= 30, seconds=30, what="30 deliveries accepted")
    frozen.suspend()
    try:
        sender.join()
        server.assert_each_processed_exactly_once(accepted, seconds=RECOVERY)
    finally:
        frozen.resume()
    wait_for(server.healthy, seconds=RECOVERY, what="/healthz 200 again")


FREEZABLE: dict[str, Callable[[MakeRun], list[psutil.Process]]] = {
    "gunicorn master": lambda server: [server.program("gunicorn")],
    "gunicorn worker": lambda server: server.program("gunicorn").children()[:1],
    "postgres": lambda server: [psutil.Process(server.postmaster_pid())],
    "qcluster main process": lambda server: [server.program("qcluster")],
    "django-q2 sentinel": lambda server: [server.sentinel()],
    "django-q2 pool": lambda server: server.cluster_pool(),
}


@pytest.mark.parametrize("name", list(FREEZABLE))
def test_a_frozen_process_under_load_loses_no_webhook(server: MakeRun, name: str) -> None:
    victims = FREEZABLE[name](server)
    sender, accepted = server.post_in_background(120)
    wait_for(lambda: len(accepted) >= 30, seconds=30, what="30 deliveries accepted")
    for victim in victims:
        victim.suspend()
    time.sleep(5)  # the fault's length: the processes are frozen whatever the test waits for
    for victim in victims:
        victim.resume()
    sender.join()
    server.assert_each_processed_exactly_once(accepted, seconds=RECOVERY)
    wait_for(server.healthy, seconds=RECOVERY, what="/healthz 200 again")
    if name in CLUSTER:
        jobs_flow(server)


# --- the database stopped for 20 s -------------------------------------------------------------


def test_the_database_stopped_for_20_s_is_503_and_every_accepted_webhook_is_processed_after(
    server: MakeRun,
) -> None:
    """The web tier answers 503 (nothing accepted is lost, a sender retries); the webhook loop
    gives up after WEBHOOK_LOOP_DB_TIMEOUT (10 s here) and supervisord starts it again."""
    before = server.post_webhooks(60)
    loop = server.program("process_webhooks").pid
    assert "stopped" in server.supervisorctl("stop", "postgres")
    stopped = time.monotonic()
    wait_for(lambda: "database" in server.health()[1], seconds=10, what="503 naming the database")
    wait_for(
        lambda: server.program_pid("process_webhooks") not in (None, loop), seconds=25, what="loop restarted"
    )
    time.sleep(max(0.0, 20 - (time.monotonic() - stopped)))
    assert "started" in server.supervisorctl("start", "postgres")
    after = server.post_webhooks(60)
    server.assert_each_processed_exactly_once(before + after, seconds=RECOVERY)
    wait_for(server.healthy, seconds=RECOVERY, what="/healthz 200 again")
    jobs_flow(server)
