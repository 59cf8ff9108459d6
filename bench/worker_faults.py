"""Fault drill on a real `make run` with the product's defaults (HEALTH_MAX_LAG=180 s,
Q_TIMEOUT=120 s, Q_RETRY=180 s, WEBHOOK_LOOP_DB_TIMEOUT=30 s): how long until work flows again
after each fault, and is every accepted webhook processed exactly once?

Each round, on one `make run` in a temporary folder (its own embedded database), under webhook load:

1. loop killed: ``kill -9`` of a webhook loop → every accepted webhook processed;
2. loops frozen: SIGSTOP of both loops for 20 s, then SIGCONT → processed after the thaw;
3. one loop frozen for good → the other copy processes everything (the frozen one's claim ends
   with CLAIM_IDLE_TIMEOUT);
4. postgres killed (``kill -9``) → every accepted webhook processed;
5. database stopped for 20 s (``supervisorctl stop postgres``) → processed after its start;
6. cluster main process killed → a queued job done;
7. wedge: ``kill -9`` of the idle django-q2 pool (its workers, monitor and pusher: #23/#339), then
   6 jobs → /healthz 503 naming the task queue, the cluster restarted by make run's listener, the
   jobs done;

then SIGTERM: how long the whole stop takes, and whether any process is left. The suite runs the
same faults with short bounds (tests/workers/test_make_run_faults.py).

    .venv/bin/python bench/worker_faults.py            # 1 round
    .venv/bin/python bench/worker_faults.py --rounds 3
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.workers.harness import TEST_ENV, MakeRun, alive, wait_for  # noqa: E402

DEFAULTS: dict[str, str | None] = dict.fromkeys(TEST_ENV)  # the product's values
PATIENCE = 420  # seconds a step may take before the drill calls it a failure


def under_load(server: MakeRun, fault: Callable[[], None]) -> float:
    """Seconds from the fault until every webhook accepted around it is processed once."""
    sender, accepted = server.post_in_background(120)
    wait_for(lambda: len(accepted) >= 30, seconds=60, what="30 deliveries accepted")
    fault()
    faulted = time.monotonic()
    sender.join()
    accepted += server.post_webhooks(30)
    server.assert_each_processed_exactly_once(accepted, seconds=PATIENCE)
    return time.monotonic() - faulted


def loop_killed(server: MakeRun) -> float:
    return under_load(server, lambda: server.program("process_webhooks").kill())


def loops_frozen(server: MakeRun) -> float:
    loops = server.programs("process_webhooks")
    for loop in loops:
        loop.suspend()
    accepted = server.post_webhooks(60)
    time.sleep(20)
    for loop in loops:
        loop.resume()
    thawed = time.monotonic()
    server.assert_each_processed_exactly_once(accepted, seconds=PATIENCE)
    return time.monotonic() - thawed


def one_loop_frozen(server: MakeRun) -> float:
    frozen = server.program("process_webhooks")
    try:
        return under_load(server, frozen.suspend)
    finally:
        frozen.resume()


def postgres_killed(server: MakeRun) -> float:
    return under_load(server, lambda: os.kill(server.postmaster_pid(), signal.SIGKILL))


def database_stopped(server: MakeRun) -> float:
    accepted = server.post_webhooks(60)
    server.supervisorctl("stop", "postgres")
    time.sleep(20)
    server.supervisorctl("start", "postgres")
    started = time.monotonic()
    accepted += server.post_webhooks(30)
    server.assert_each_processed_exactly_once(accepted, seconds=PATIENCE)
    return time.monotonic() - started


def cluster_killed(server: MakeRun) -> float:
    server.program("qcluster").kill()
    killed = time.monotonic()
    paths = server.post_documents(1)
    wait_for(lambda: server.embedded(paths), seconds=PATIENCE, what="the job done")
    return time.monotonic() - killed


def wedge(server: MakeRun) -> tuple[float, float, float]:
    """(seconds to the 503, to the restart, to the jobs done), from the kill."""
    cluster = server.program("qcluster").pid
    for process in server.cluster_pool():
        process.kill()
    killed = time.monotonic()
    paths = server.post_documents(6)
    wait_for(lambda: server.health() == (503, ["task_queue"]), seconds=PATIENCE, what="503 naming task_queue")
    unavailable = time.monotonic() - killed
    wait_for(
        lambda: server.program_pid("qcluster") not in (None, cluster), seconds=PATIENCE, what="restarted"
    )
    restarted = time.monotonic() - killed
    wait_for(lambda: server.embedded(paths), seconds=PATIENCE, what="the jobs done")
    return unavailable, restarted, time.monotonic() - killed


def stop(server: MakeRun) -> tuple[float, int]:
    family = server.processes()
    started = time.monotonic()
    assert server.stop() == 0
    seconds = time.monotonic() - started
    time.sleep(1)  # SIGKILLed leftovers take a moment to be gone
    return seconds, sum(1 for process in family if alive(process.pid))


LABELS = {
    "loop killed": "a webhook loop killed under load → every accepted webhook processed",
    "loops frozen": "both loops frozen 20 s, 60 webhooks → processed, after the thaw",
    "one loop frozen": "one loop frozen for good, under load → processed by the other",
    "postgres killed": "postgres killed under load → every accepted webhook processed",
    "database stopped": "database stopped 20 s → processed, after its start",
    "cluster killed": "qcluster main process killed → a new job done",
    "wedge 503": "the idle django-q2 pool killed (wedge) → /healthz 503 naming task_queue",
    "wedge restart": "… → cluster restarted by make run's listener",
    "wedge done": "… → the 6 waiting jobs done",
    "stop": "SIGTERM → make run exited",
    "left": "processes left after the stop",
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=1)
    rounds = parser.parse_args().rounds
    figures: dict[str, list[float]] = {name: [] for name in LABELS}
    steps: dict[str, Callable[[MakeRun], float]] = {
        "loop killed": loop_killed,
        "loops frozen": loops_frozen,
        "one loop frozen": one_loop_frozen,
        "postgres killed": postgres_killed,
        "database stopped": database_stopped,
        "cluster killed": cluster_killed,
    }
    for round_ in range(1, rounds + 1):
        with tempfile.TemporaryDirectory(prefix="worker-faults-") as folder:
            server = MakeRun(Path(folder), env=DEFAULTS)
            try:
                server.start()
                for name, step in steps.items():
                    wait_for(server.ready, seconds=PATIENCE, what="/healthz 200, the cluster's pool started")
                    figures[name].append(step(server))
                    print(f"round {round_}: {name}: {figures[name][-1]:.1f} s", flush=True)
                wait_for(server.ready, seconds=PATIENCE, what="/healthz 200, the cluster's pool started")
                for name, seconds in zip(
                    ("wedge 503", "wedge restart", "wedge done"), wedge(server), strict=True
                ):
                    figures[name].append(seconds)
                    print(f"round {round_}: {name}: {seconds:.1f} s", flush=True)
                seconds, left = stop(server)
                figures["stop"].append(seconds)
                figures["left"].append(left)
                print(f"round {round_}: stop {seconds:.1f} s, {left} processes left", flush=True)
            finally:
                server.kill_leftovers()
    print(f"\nmedian over {rounds} round(s), the product's defaults:")
    for name, label in LABELS.items():
        unit = "" if name == "left" else " s"
        print(f"  {label}: {statistics.median(figures[name]):.1f}{unit}")


if __name__ == "__main__":
    main()
