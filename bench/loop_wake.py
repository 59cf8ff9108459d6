"""How the webhook loop should learn of new events: a short poll, or LISTEN/NOTIFY from the intake.

    .venv/bin/python bench/loop_wake.py [--rate 100] [--seconds 10] [--inserts 2000] [--threads 4]
                                        [--rounds 3] [--poll 0.05] [--keep-db]

Both ways, alternating within each round, on a database of its own (``myloware_bench_wake``):

1. intake cost: ``--inserts`` events stored by ``--threads`` connections at once (autocommit, as
   the intake), with the product's one statement (``INSERT ... ON CONFLICT DO NOTHING RETURNING
   id``) or the same statement with ``pg_notify`` in it (a CTE: still one statement); per-statement
   latency p50/p99 and events/s;
2. wake latency: events stored at ``--rate``/s for ``--seconds`` with either statement while one
   copy of the loop runs — the product's (``webhook_events_process_forever``: a batch, then a
   ``--poll`` s pause when it was not full) or the same batches woken by the notification (LISTEN
   on the loop's connection, one second of fallback poll); accept→processed p50/p99 from the
   stored timestamps, and the loop's CPU seconds per second (its thread's).

Events are of a Standard-Webhooks provider without a handler (marked ``ignored``): the handler's
cost is not the question. Every event must end handled with one attempt.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import benchdb  # noqa: E402
from bench.webhook_ingest import percentile  # noqa: E402

BENCH_DB = "myloware_bench_wake"
INSERT = """
INSERT INTO webhook_events (
    id, idempotency_key, provider, headers, payload, signature_status, received_at, status,
    run_id, idempotency_rule, signature_reason, query, content_type, attempts
) VALUES (%s, %s, 'bench', '{}'::jsonb, %s, 'valid', now(), 'received', NULL, 'header:webhook-id', 'ok',
          '{}'::jsonb, 'application/json', 0)
ON CONFLICT (provider, idempotency_key) DO NOTHING
RETURNING id
"""
INSERT_AND_NOTIFY = f"WITH event AS ({INSERT}) SELECT id, pg_notify('webhook_events', '') FROM event"  # noqa: S608
BODY = json.dumps({"type": "video.completed", "data": {"id": "x" * 40}}).encode()


def insert(cursor, statement: str, tag: str) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    cursor.execute(statement, [str(uuid.uuid4()), f"{tag}-{uuid.uuid4().hex}", BODY], prepare=True)
    cursor.fetchall()
    return time.perf_counter() - started


def intake_cost(dsn: str, statement: str, count: int, threads: int) -> tuple[float, float, float]:
    """(p50 s, p99 s, events/s) of ``count`` inserts from ``threads`` connections."""
    import psycopg

    latencies: list[float] = []
    lock = threading.Lock()
    tag = uuid.uuid4().hex[:8]

    def work(share: int) -> None:
        with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cursor:
            mine = [insert(cursor, statement, tag) for _ in range(share)]
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=work, args=(count // threads,)) for _ in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    return percentile(latencies, 50), percentile(latencies, 99), len(latencies) / elapsed


def notified_loop(control, poll: float) -> None:  # type: ignore[no-untyped-def]
    """The loop's batches, woken by LISTEN/NOTIFY (one second of fallback poll)."""
    from django.conf import settings
    from django.db import connection

    from webhooks.services import webhook_events_process_batch

    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("LISTEN webhook_events")
    while not control.stop:
        if webhook_events_process_batch() < settings.WEBHOOK_LOOP_BATCH:
            for _ in connection.connection.notifies(timeout=poll, stop_after=1):
                pass


def wake_latency(dsn: str, mode: str, rate: float, seconds: float, poll: float) -> tuple[float, float, float]:
    """(p50 s, p99 s, loop CPU s per s) with one loop copy in this process's thread."""
    import psycopg
    from django.db import connection

    from webhooks.services import LoopControl, webhook_events_process_forever

    control, cpu = LoopControl(), [0.0]

    def loop() -> None:
        started = time.thread_time()
        try:
            if mode == "poll":
                webhook_events_process_forever(control=control)
            else:
                notified_loop(control, poll=1.0)
        finally:
            cpu[0] = time.thread_time() - started
            connection.close()

    thread = threading.Thread(target=loop)
    thread.start()
    tag = f"{mode}{uuid.uuid4().hex[:8]}"
    statement = INSERT if mode == "poll" else INSERT_AND_NOTIFY
    count = int(rate * seconds)
    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cursor:
        started = time.monotonic()
        for number in range(count):
            time.sleep(max(0.0, started + number / rate - time.monotonic()))
            insert(cursor, statement, tag)
        elapsed = time.monotonic() - started
        deadline = time.monotonic() + 60
        while conn.execute(
            "SELECT count(*) FROM webhook_events WHERE idempotency_key LIKE %s AND status = 'received'",
            [tag + "%"],
        ).fetchone()[0]:
            if time.monotonic() > deadline:
                raise SystemExit(f"{mode}: events left unprocessed")
            time.sleep(0.05)
        control.stop = True
        thread.join()
        rows = conn.execute(
            "SELECT extract(epoch FROM processed_at - received_at), attempts FROM webhook_events "
            "WHERE idempotency_key LIKE %s",
            [tag + "%"],
        ).fetchall()
    if len(rows) != count or any(attempts != 1 for _, attempts in rows):
        raise SystemExit(f"{mode}: {len(rows)} of {count} stored, or processed more than once")
    latencies = [float(latency) for latency, _ in rows]
    return percentile(latencies, 50), percentile(latencies, 99), cpu[0] / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--inserts", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--poll", type=float, default=None, help="the poll mode's pause (WEBHOOK_LOOP_POLL)")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    if not (
        0 < args.rate <= 500 and 0 < args.seconds <= 60 and 1 <= args.threads <= 16 and 1 <= args.rounds <= 10
    ):
        raise SystemExit("keep it bounded: rate <= 500/s, seconds <= 60, threads <= 16, rounds <= 10")
    dsn = benchdb.use_for_django(BENCH_DB, recreate=True)
    from django.conf import settings

    from webhooks.conf import ProviderConfig

    settings.WEBHOOK_PROVIDERS = {"bench": ProviderConfig(slug="bench", scheme="standard", secrets=("x",))}
    if args.poll is not None:
        settings.WEBHOOK_LOOP_POLL = args.poll
    results: dict[str, dict[str, list[tuple[float, float, float]]]] = {
        mode: {"intake": [], "wake": []} for mode in ("poll", "notify")
    }
    try:
        for number in range(args.rounds):
            for mode, statement in (("poll", INSERT), ("notify", INSERT_AND_NOTIFY)):
                results[mode]["intake"].append(intake_cost(dsn, statement, args.inserts, args.threads))
                results[mode]["wake"].append(wake_latency(dsn, mode, args.rate, args.seconds, args.poll or 0))
                intake, wake = results[mode]["intake"][-1], results[mode]["wake"][-1]
                print(
                    f"round {number} {mode:<6}: intake p50 {intake[0] * 1000:.2f} ms p99 {intake[1] * 1000:.2f} ms "
                    f"{intake[2]:.0f}/s; at {args.rate:g}/s accept->processed p50 {wake[0] * 1000:.0f} ms "
                    f"p99 {wake[1] * 1000:.0f} ms, loop CPU {wake[2]:.3f} s/s",
                    flush=True,
                )
        print(f"\nmedians over {args.rounds} alternating rounds (poll pause {settings.WEBHOOK_LOOP_POLL} s):")
        for mode, result in results.items():
            intake, wake = result["intake"], result["wake"]
            print(
                f"{mode:<6} intake p50 {statistics.median(r[0] for r in intake) * 1000:.2f} ms, "
                f"p99 {statistics.median(r[1] for r in intake) * 1000:.2f} ms, "
                f"{statistics.median(r[2] for r in intake):.0f} events/s ({args.threads} connections); "
                f"wake p50 {statistics.median(r[0] for r in wake) * 1000:.0f} ms, "
                f"p99 {statistics.median(r[1] for r in wake) * 1000:.0f} ms, "
                f"loop CPU {statistics.median(r[2] for r in wake):.3f} s/s"
            )
    finally:
        if not args.keep_db:
            from django.db import connections

            connections.close_all()
            benchdb.drop(BENCH_DB)


if __name__ == "__main__":
    main()
