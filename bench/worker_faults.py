"""Fault drill on a real `make run` with the product's defaults (WORKER_STALE_AFTER=30 s,
WORKER_CANARY_SECONDS=5 s, Q_RETRY=180 s): how long until work flows again, and is every
accepted webhook processed exactly once?

Each round, on one `make run` in a temporary folder (its own embedded database):

1. wedge: ``kill -9`` of both idle workers (the one blocked in the task queue's read holds its
   lock and dies with it: django-q2 #23), then 240 webhooks; time from the kill until every
   accepted event is processed;
2. frozen: SIGSTOP of both workers (alive, no task flows); time until the supervisor replaced
   the cluster, and until the 60 events posted meanwhile are processed;
3. main: ``kill -9`` of run_workers' main process under load; time until all are processed;

then SIGTERM: how long the whole stop takes, and whether any process is left. The suite runs
the same faults with WORKER_STALE_AFTER=10 s (tests/workers/test_make_run_faults.py).

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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.workers.harness import Devserver, alive, wait_for  # noqa: E402

DEFAULTS: dict[str, str | None] = {
    "WORKER_STALE_AFTER": None,
    "WORKER_CANARY_SECONDS": None,
    "WORKER_STOP_GRACE": None,
    "Q_TIMEOUT": None,
    "Q_RETRY": None,
    "WORKER_DB_RETRY_SECONDS": None,
}
PATIENCE = 120  # seconds a step may take before the drill calls it a failure


def wedge(server: Devserver) -> float:
    for pid in server.worker_pids():
        os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    accepted = server.post_webhooks(240)
    server.assert_each_processed_exactly_once(accepted, seconds=PATIENCE, drained=False)
    return time.monotonic() - killed


def frozen(server: Devserver) -> tuple[float, float]:
    main = server.workers_main().pid
    for pid in server.worker_pids():
        os.kill(pid, signal.SIGSTOP)
    frozen_at = time.monotonic()
    accepted = server.post_webhooks(60)
    wait_for(lambda: server.workers_main_pid() not in (None, main), seconds=PATIENCE, what="replaced")
    replaced = time.monotonic() - frozen_at
    server.assert_each_processed_exactly_once(accepted, seconds=PATIENCE, drained=False)
    return replaced, time.monotonic() - frozen_at


def main_killed(server: Devserver) -> float:
    main = server.workers_main()
    sender, accepted = server.post_in_background(120)
    wait_for(lambda: len(accepted) >= 30, seconds=60, what="30 deliveries accepted")
    main.kill()
    killed = time.monotonic()
    sender.join()
    server.assert_each_processed_exactly_once(accepted, seconds=PATIENCE, drained=False)
    return time.monotonic() - killed


def stop(server: Devserver) -> tuple[float, int]:
    assert server.process is not None
    family = [p.pid for p in __import__("psutil").Process(server.process.pid).children(recursive=True)]
    started = time.monotonic()
    assert server.stop() == 0
    seconds = time.monotonic() - started
    time.sleep(1)  # SIGKILLed leftovers take a moment to be gone
    return seconds, sum(1 for pid in family if alive(pid))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=1)
    rounds = parser.parse_args().rounds
    figures: dict[str, list[float]] = {
        name: [] for name in ("wedge", "replaced", "frozen", "main", "stop", "left")
    }
    for round_ in range(1, rounds + 1):
        with tempfile.TemporaryDirectory(prefix="worker-faults-") as folder:
            server = Devserver(Path(folder), env=DEFAULTS)
            try:
                server.start()
                for name, step in (("wedge", wedge), ("frozen", frozen), ("main", main_killed)):
                    wait_for(server.flowing, seconds=PATIENCE, what="work flowing")
                    result = step(server)
                    if name == "frozen":
                        figures["replaced"].append(result[0])  # type: ignore[index]
                        result = result[1]  # type: ignore[index]
                    figures[name].append(result)  # type: ignore[arg-type]
                    print(f"round {round_}: {name} recovered in {result:.1f} s", flush=True)  # type: ignore[str-format]
                seconds, left = stop(server)
                figures["stop"].append(seconds)
                figures["left"].append(left)
                restarts = server.log.read_text().count("ran no task for")
                print(
                    f"round {round_}: stop {seconds:.1f} s, {left} processes left, {restarts} wedge restarts"
                )
            finally:
                server.kill_leftovers()
    print("\nmedian over", rounds, "round(s), defaults (WORKER_STALE_AFTER=30 s):")
    labels = {
        "wedge": "both idle workers killed, 240 webhooks → every accepted webhook processed",
        "replaced": "workers frozen → cluster replaced by the supervisor",
        "frozen": "workers frozen → the 60 webhooks posted meanwhile processed",
        "main": "cluster main process killed under load → every accepted webhook processed",
        "stop": "SIGTERM → make run exited",
        "left": "processes left after the stop",
    }
    for name, label in labels.items():
        unit = "" if name == "left" else " s"
        print(f"  {label}: {statistics.median(figures[name]):.1f}{unit}")


if __name__ == "__main__":
    main()
