"""Benchmark: our DjangoCheckpointSaver against langgraph-checkpoint-postgres' PostgresSaver.

    .venv/bin/python bench/checkpointer.py [--threads 24] [--steps 40] [--rounds 2]
    .venv/bin/python bench/checkpointer.py --async     # the async methods (vs AsyncPostgresSaver)
    .venv/bin/python bench/checkpointer.py --drop      # remove the bench database

Both savers run the same workload in one process, on the same embedded PostgreSQL, in one
database of their own (``myloware_bench_checkpointer``, created and migrated on first use):
many LangGraph threads, each with many supersteps and a realistic state — a message list that
grows by a human and an AI message per step (LangChain message objects), plus small channels (a
step counter, a topic string, a dict of scores). Per superstep, like the Pregel loop: one
``put_writes`` of the node's writes against the current checkpoint, then one ``put`` of the next
checkpoint with the changed channels' new versions. Afterwards, per thread, ``get_tuple`` of the
latest checkpoint, ``get_tuple`` of a specific older one and ``list(limit=10)``, three times each,
alternating between the savers read by read.

Our threads are runs (rows in ``runs``), as in production, so every root ``put`` also upserts the
run's readable state into ``orchestration_checkpoints``, in the same statement — work PostgresSaver
does not do; the bench checks afterwards that every run's state shows its last checkpoint. A third
workload (afterwards, so both savers' tables hold the same rows in the same layout) runs our saver
on threads that are not runs, to show what that upsert costs. Ours and theirs alternate step by
step (and which goes first alternates) so that noise on this shared machine hits both alike.
Prints median and p99 per operation and the ratio ours/theirs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myloware.settings")

from bench import benchdb  # noqa: E402

BENCH_DB = "myloware_bench_checkpointer"
OPS = ("put", "put_writes", "get_tuple", "get_tuple_by_id", "list")
READ_REPEATS = 3  # reads per thread and operation: more samples for the reads' medians


def setup_django() -> str:
    """Point Django at the bench database (created and migrated if needed); returns its URI."""
    return benchdb.use_for_django(BENCH_DB)


def reset(theirs: Any) -> None:
    from django.db import connection

    theirs.setup()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE langgraph_checkpoints, langgraph_checkpoint_blobs, langgraph_checkpoint_writes, "
            "checkpoints, checkpoint_blobs, checkpoint_writes, orchestration_checkpoints, runs CASCADE"
        )


class Workload:
    """One thread's supersteps, generated identically for both savers."""

    def __init__(self, saver: Any, thread_id: str) -> None:
        self.saver = saver
        self.thread_id = thread_id
        self.versions: dict[str, Any] = {}
        self.values: dict[str, Any] = {}
        self.config: dict[str, Any] = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
        self.ids: list[str] = []

    def step(self, n: int, meter: Meter) -> None:
        from langchain_core.messages import AIMessage, HumanMessage
        from langgraph.checkpoint.base.id import uuid6

        messages = [
            HumanMessage(f"Step {n}: give me a calmer take on the soap-cutting idea, " + "detail " * 20),
            AIMessage(f"Step {n}: here is a slower version with close-up audio cues. " + "texture " * 30),
        ]
        writes = [("messages", messages), ("step", n), ("scores", {"novelty": n % 7, "fit": 0.5 + n % 3})]
        if n % 5 == 0:
            writes.append(("topic", f"topic-{n // 5}"))
        task_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.thread_id}/{n}"))
        if self.ids:
            meter.time("put_writes", lambda: self.saver.put_writes(self.config, writes, task_id, "~node"))
        changed: dict[str, Any] = {}
        for channel, value in writes:
            self.values[channel] = self.values.get("messages", []) + value if channel == "messages" else value
            changed[channel] = self.versions[channel] = self.saver.get_next_version(
                self.versions.get(channel), None
            )
        checkpoint = {
            "v": 4,
            "id": str(uuid6(clock_seq=n)),
            "ts": datetime.now(UTC).isoformat(),
            "channel_values": dict(self.values),
            "channel_versions": dict(self.versions),
            "versions_seen": {"node": dict(self.versions)},
            "updated_channels": list(changed),
        }
        metadata = {"source": "loop", "step": n, "parents": {}, "run_id": self.thread_id}
        result: dict[str, Any] = {}
        meter.time("put", lambda: result.update(self.saver.put(self.config, checkpoint, metadata, changed)))
        self.config = result
        self.ids.append(str(checkpoint["id"]))

    def reads(self) -> list[tuple[str, Callable[[], Any]]]:
        latest = {"configurable": {"thread_id": self.thread_id, "checkpoint_ns": ""}}
        older = {"configurable": {**latest["configurable"], "checkpoint_id": self.ids[len(self.ids) // 2]}}
        return [
            ("get_tuple", lambda: self.saver.get_tuple(latest)),
            ("get_tuple_by_id", lambda: self.saver.get_tuple(older)),
            ("list", lambda: list(self.saver.list(latest, limit=10))),
        ]


class AsyncAPI:
    """Drives a saver's async methods (aput, ...) from the sync workload on one event loop."""

    def __init__(self, saver: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.saver, self.loop = saver, loop

    def get_next_version(self, current: Any, channel: None) -> Any:
        return self.saver.get_next_version(current, channel)

    def put(self, *args: Any) -> Any:
        return self.loop.run_until_complete(self.saver.aput(*args))

    def put_writes(self, *args: Any) -> Any:
        return self.loop.run_until_complete(self.saver.aput_writes(*args))

    def get_tuple(self, config: Any) -> Any:
        return self.loop.run_until_complete(self.saver.aget_tuple(config))

    def list(self, config: Any, **kwargs: Any) -> list[Any]:
        async def collect() -> list[Any]:
            return [item async for item in self.saver.alist(config, **kwargs)]

        return self.loop.run_until_complete(collect())


class Meter:
    """Per operation: wall time (ms) and CPU time (µs) of this thread plus the saver's backend.

    The CPU figure is the work an operation costs, whatever the neighbours do: on a loaded
    machine wall times mostly measure waiting for a core. The backend's CPU comes from
    /proc/<pid>/schedstat (ns on CPU), so it needs the server on this host (the embedded one is).
    """

    def __init__(self, backend_pid: int | None) -> None:
        self.schedstat = Path(f"/proc/{backend_pid}/schedstat") if backend_pid else None
        self.wall: dict[str, list[float]] = {op: [] for op in OPS}
        self.cpu: dict[str, list[float]] = {op: [] for op in OPS}

    def _server_ns(self) -> int:
        return int(self.schedstat.read_text().split()[0]) if self.schedstat else 0

    def time(self, op: str, fn: Callable[[], Any]) -> None:
        server, client = self._server_ns(), time.thread_time_ns()
        start = time.perf_counter()
        fn()
        self.wall[op].append((time.perf_counter() - start) * 1000)
        client = time.thread_time_ns() - client
        if self.schedstat:
            self.cpu[op].append((client + self._server_ns() - server) / 1000)


def backend_pid(saver: Any) -> int:
    """The PID of the server process behind a saver's (sync) connection."""
    if hasattr(saver, "conn"):  # PostgresSaver
        return int(saver.conn.info.backend_pid)
    with saver._cursor() as cursor:  # ours: its shared connection, opened here if need be
        return int(cursor.connection.info.backend_pid)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run(threads: int, steps: int, rounds: int, use_async: bool) -> dict[str, Meter]:
    uri = setup_django()
    from langgraph.checkpoint.postgres import PostgresSaver
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

    from runs.langgraph import DjangoCheckpointSaver
    from runs.models import Run

    saver = DjangoCheckpointSaver()
    loop = asyncio.new_event_loop()
    ours: Any = AsyncAPI(saver, loop) if use_async else saver
    async_theirs = AsyncPostgresSaver.from_conn_string(uri)
    with PostgresSaver.from_conn_string(uri) as sync_theirs:
        reset(sync_theirs)
        theirs: Any = (
            AsyncAPI(loop.run_until_complete(async_theirs.__aenter__()), loop) if use_async else sync_theirs
        )
        # The async methods run on other threads and connections: no CPU figures for them.
        ours_pid, theirs_pid = (None, None) if use_async else (backend_pid(saver), backend_pid(sync_theirs))
        meters = {"ours": Meter(ours_pid), "theirs": Meter(theirs_pid), "ours_no_run": Meter(ours_pid)}
        for round_ in range(rounds):
            for t in range(threads):
                run_id = f"run_bench_{round_}_{t}"
                Run.objects.create(run_id=run_id, project="bench", status="running", payload={}, result={})
                pair = [("ours", Workload(ours, run_id)), ("theirs", Workload(theirs, run_id))]
                if t % 2:
                    pair.reverse()  # who goes first alternates
                for n in range(steps):
                    for name, workload in pair:
                        workload.step(n, meters[name])
                # Each read op alternates between the savers too, READ_REPEATS times per thread.
                for _ in range(READ_REPEATS):
                    for reads in zip(*(workload.reads() for _, workload in pair), strict=True):
                        for (name, _), (op, read) in zip(pair, reads, strict=True):
                            meters[name].time(op, read)
        check_readable_states(rounds, threads, steps)
        # Separately, so that both savers' tables above hold the same rows in the same layout.
        for t in range(threads):
            workload = Workload(ours, f"thread_bench_{t}")
            for n in range(steps):
                workload.step(n, meters["ours_no_run"])
    if use_async:
        loop.run_until_complete(async_theirs.__aexit__(None, None, None))
    loop.close()
    saver.close()
    return meters


def check_readable_states(rounds: int, threads: int, steps: int) -> None:
    """Every run's readable state is its last checkpoint's: ``put`` wrote it in its own statement."""
    from runs.models import OrchestrationCheckpoint

    steps_shown = OrchestrationCheckpoint.objects.filter(run__run_id__startswith="run_bench_").values_list(
        "state__step", flat=True
    )
    current = sum(1 for step in steps_shown if step == steps - 1)
    print(
        f"readable state (ours, written by put): {current} of {rounds * threads} runs show their last checkpoint"
    )
    assert current == rounds * threads, "a run's readable state is behind its last checkpoint"


def report(meters: dict[str, Meter], args: argparse.Namespace) -> None:
    api = "async API (aput, ...; theirs: AsyncPostgresSaver)" if args.use_async else "sync API"
    print(
        f"checkpointer bench, {api}: {args.threads} threads x {args.steps} steps x {args.rounds} rounds, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, database {BENCH_DB}"
    )
    print(
        f"{'operation':<16}{'ours p50':>10}{'ours p99':>10}{'PG p50':>10}{'PG p99':>10}{'p50 x':>8}{'p99 x':>8}"
        f"{'ours CPU':>10}{'PG CPU':>10}{'CPU x':>8}"
    )
    ours, theirs = meters["ours"], meters["theirs"]
    for op in OPS:
        o50, o99 = statistics.median(ours.wall[op]), percentile(ours.wall[op], 0.99)
        t50, t99 = statistics.median(theirs.wall[op]), percentile(theirs.wall[op], 0.99)
        print(
            f"{op:<16}{o50:>10.3f}{o99:>10.3f}{t50:>10.3f}{t99:>10.3f}{o50 / t50:>8.2f}{o99 / t99:>8.2f}"
            + cpu_columns(ours.cpu[op], theirs.cpu[op])
        )
    print("times in ms, CPU (this thread + the saver's server process) in µs, medians;")
    print("ratio = ours / PostgresSaver (goal: put <= 1.15, every other operation <= 1.0)")
    print("ours, on threads that are not runs (no orchestration_checkpoints row; a phase of its own):")
    no_run = meters["ours_no_run"]
    n50, n99 = statistics.median(no_run.wall["put"]), percentile(no_run.wall["put"], 0.99)
    t50 = statistics.median(theirs.wall["put"])
    print(
        f"{'put':<16}{n50:>10.3f}{n99:>10.3f}{'':>20}{n50 / t50:>8.2f}{'':>8}"
        + cpu_columns(no_run.cpu["put"], theirs.cpu["put"], show_theirs=False)
    )


def cpu_columns(ours: list[float], theirs: list[float], *, show_theirs: bool = True) -> str:
    if not ours or not theirs:  # the async methods run on other threads and connections
        return f"{'-':>10}{'-':>10}{'-':>8}"
    oc, tc = statistics.median(ours), statistics.median(theirs)
    return f"{oc:>10.0f}{f'{tc:.0f}' if show_theirs else '':>10}{oc / tc:>8.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=24)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--drop", action="store_true", help="drop the bench database and exit")
    parser.add_argument(
        "--async", dest="use_async", action="store_true", help="the async methods, against AsyncPostgresSaver"
    )
    args = parser.parse_args()
    if args.drop:
        benchdb.drop(BENCH_DB)
        return
    report(run(args.threads, args.steps, args.rounds, args.use_async), args)


if __name__ == "__main__":
    main()
