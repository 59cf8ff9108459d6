"""Retention and migrations on 1,000,000 webhook events, beside a live intake.

    .venv/bin/python bench/retention.py [--events 1000000] [--runs 1000000] [--rate 40]
                                        [--quiet-seconds 20] [--batch 1000] [--keep-db]

What it does (loopback only, stops by itself):
1. creates ``myloware_bench_retention`` on the embedded server, migrated up to the migrations
   before this release's (runs 0011, webhooks 0007), and loads with COPY ``--events`` events
   (received over the last 60 days, 512-byte bodies; 5 % rejected, the rest processed) and
   ``--runs`` ended runs;
2. starts gunicorn on the app (DEBUG off, 2 workers) and sends signed deliveries at ``--rate``
   requests/s (open loop: latency from each request's scheduled time) through every phase:
   - quiet: nothing else runs (the baseline); ``migrate`` with nothing to apply (what the
     command itself costs, to subtract from the next two);
   - each of this release's migrations (``runs 0012``: a column with a default;
     ``webhooks 0008``: two indexes built CONCURRENTLY), then their statements alone, and for
     comparison a plain ``CREATE INDEX`` of the same index, which blocks the intake's inserts
     while it builds;
   - retention: ``manage.py retention --apply``'s service in its own process (default
     settings: bodies older than 30 days expunged, rejected events older than 7 days deleted);
3. prints per phase its duration and the intake's p50/p99 and requests answered, and per
   retention rule the rows, rows/s and the longest batch (the longest time it held row locks).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import benchdb  # noqa: E402
from bench.webhook_ingest import delivery, free_port, percentile, server_env, start_gunicorn, stop_gunicorn  # noqa: E402

BENCH_DB = "myloware_bench_retention"
PYTHON = sys.executable
BODY = ('{"data": "' + "x" * 498 + '"}').encode()  # 512 bytes
BEFORE = [("runs", "0012_run_status_counts"), ("webhooks", "0007_drop_processor_leases")]


def manage(dsn: str, *args: str) -> float:
    began = time.perf_counter()
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=server_env(dsn), check=True)
    return time.perf_counter() - began


def load(dsn: str, events: int, runs: int) -> None:
    import psycopg

    now = datetime.now(UTC)
    body_hex = "\\\\x" + BODY.hex()
    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cursor:
        started = time.perf_counter()

        def event_lines():  # type: ignore[no-untyped-def]
            for index in range(events):
                received = (now - timedelta(seconds=index * 60 * 86400 / events)).isoformat()
                rejected = index % 20 == 0
                status, signature = ("rejected", "invalid") if rejected else ("processed", "valid")
                yield (
                    f"{uuid.uuid4()}\tkey-{index}\tbench\t{{}}\t{body_hex}\t{signature}\t{received}\t{status}\t"
                    f"{len(BODY)}\tsha\n"
                )

        benchdb.copy_lines(
            cursor,
            "webhook_events",
            "id, idempotency_key, provider, headers, payload, signature_status, received_at, status, "
            "payload_size, payload_sha256",
            event_lines(),
        )
        benchdb.copy_lines(
            cursor,
            "runs",
            "run_id, project, status, payload, created_at, updated_at",
            (
                f"run_{index}\tbench\tpublished\t{{}}\t{now.isoformat()}\t{now.isoformat()}\n"
                for index in range(runs)
            ),
        )
        cursor.execute("VACUUM ANALYZE webhook_events")
        cursor.execute("VACUUM ANALYZE runs")
        print(f"loaded {events} events and {runs} runs in {time.perf_counter() - started:.0f} s", flush=True)


class PacedIntake:
    """Signed deliveries at ``rate``/s from ``threads`` threads until stopped; latencies per phase."""

    def __init__(self, url: str, rate: float, threads: int = 8) -> None:
        self.url, self.rate, self.threads = url, rate, threads
        self.samples: list[tuple[float, float, int]] = []  # (scheduled, latency, status)
        self.lock, self.stop = threading.Lock(), threading.Event()
        self.next_index = 0
        self.workers = [threading.Thread(target=self.work, daemon=True) for _ in range(threads)]

    def start(self) -> None:
        self.began = time.perf_counter()
        for worker in self.workers:
            worker.start()

    def work(self) -> None:
        with httpx.Client(timeout=60) as client:
            while not self.stop.is_set():
                with self.lock:
                    index = self.next_index
                    self.next_index += 1
                scheduled = self.began + index / self.rate
                time.sleep(max(0.0, scheduled - time.perf_counter()))
                body, headers = delivery(index, "retention")
                try:
                    status = client.post(self.url, content=body, headers=headers).status_code
                except httpx.HTTPError:
                    status = -1
                with self.lock:
                    self.samples.append((scheduled, time.perf_counter() - scheduled, status))

    def finish(self) -> None:
        self.stop.set()
        for worker in self.workers:
            worker.join()

    def between(self, start: float, end: float) -> dict[str, float]:
        with self.lock:
            window = [(latency, status) for at, latency, status in self.samples if start <= at < end]
        latencies = [latency for latency, _ in window]
        return {
            "requests": len(window),
            "ok": sum(1 for _, status in window if status == 200),
            "p50_ms": percentile(latencies, 50) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000,
        }


RETENTION_PROBE = """
import json, django
django.setup()
from django.utils import timezone
from myloware.lifecycle.services import retention_run
results = retention_run(now=timezone.now(), apply=True)
print(json.dumps([[r.table, r.action, r.count, r.batches, r.longest_batch] for r in results]))
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=40)
    parser.add_argument("--quiet-seconds", type=float, default=20)
    parser.add_argument("--batch", type=int, default=1000, help="RETENTION_BATCH of the retention run")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()

    dsn = benchdb.create(BENCH_DB, recreate=True)
    env = server_env(dsn)
    env["RETENTION_BATCH"] = str(args.batch)
    manage(dsn, "migrate", "--noinput", "-v", "0")
    for app, name in BEFORE:
        manage(dsn, "migrate", app, name, "--noinput", "-v", "0")
    load(dsn, args.events, args.runs)

    port = free_port()
    server = start_gunicorn("myloware.wsgi:application", port, 2, dsn)
    intake = PacedIntake(f"http://127.0.0.1:{port}/api/v1/webhooks/bench", args.rate)
    phases: list[tuple[str, float, float, str]] = []
    try:
        intake.start()
        time.sleep(5)  # the workers' first requests load Django: not part of any phase
        began = time.perf_counter()
        time.sleep(args.quiet_seconds)
        phases.append(("quiet (baseline)", began, time.perf_counter(), ""))

        began = time.perf_counter()
        manage(dsn, "migrate", "--noinput", "-v", "0", "runs", "0012")
        phases.append(
            ("migrate with nothing to apply (the command's own start)", began, time.perf_counter(), "")
        )
        time.sleep(2)

        for app, name, label in [
            ("runs", "0013_run_legal_hold", "migrate runs 0013 (ADD COLUMN held DEFAULT false)"),
            (
                "webhooks",
                "0008_retention_expunge_and_indexes",
                "migrate webhooks 0008 (2 indexes CONCURRENTLY)",
            ),
        ]:
            began = time.perf_counter()
            manage(dsn, "migrate", app, name, "--noinput", "-v", "0")
            phases.append((label, began, time.perf_counter(), ""))
            time.sleep(2)

        import psycopg

        # The statements alone, without the migrate command around them.
        with psycopg.connect(dsn, autocommit=True) as conn:
            for label, statement, undo in [
                (
                    "statement alone: ADD COLUMN … DEFAULT false NOT NULL (as 0012)",
                    "ALTER TABLE runs ADD COLUMN bench_probe boolean DEFAULT false NOT NULL",
                    "ALTER TABLE runs DROP COLUMN bench_probe",
                ),
                (
                    "statement alone: CREATE INDEX CONCURRENTLY (one of 0008's)",
                    "CREATE INDEX CONCURRENTLY bench_probe_idx ON webhook_events (received_at) "
                    "WHERE payload_dropped_at IS NULL",
                    "DROP INDEX bench_probe_idx",
                ),
                (
                    "for comparison: the same index, plain CREATE INDEX",
                    "CREATE INDEX bench_probe_idx ON webhook_events (received_at) WHERE payload_dropped_at IS NULL",
                    "DROP INDEX bench_probe_idx",
                ),
            ]:
                began = time.perf_counter()
                conn.execute(statement)
                phases.append((label, began, time.perf_counter(), ""))
                conn.execute(undo)
                time.sleep(2)

        began = time.perf_counter()
        probe = subprocess.run(
            [PYTHON, "-c", RETENTION_PROBE], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        )
        phases.append(
            ("retention --apply", began, time.perf_counter(), probe.stdout.strip().splitlines()[-1])
        )
        time.sleep(2)
    finally:
        intake.finish()
        stop_gunicorn(server)

    print(f"\n{args.events} events, {args.runs} runs; intake at {args.rate:g} requests/s, gunicorn 2 workers")
    print(f"{'phase':58} {'seconds':>8} {'requests':>8} {'ok':>6} {'p50 ms':>8} {'p99 ms':>8}")
    for label, start, end, _ in phases:
        stats = intake.between(start, end)
        print(
            f"{label:58} {end - start:8.2f} {stats['requests']:8.0f} {stats['ok']:6.0f} "
            f"{stats['p50_ms']:8.1f} {stats['p99_ms']:8.1f}"
        )
    retention = json.loads(phases[-1][3])
    seconds = phases[-1][2] - phases[-1][1]
    print(f"\nretention rules ({seconds:.1f} s in all, one process, RETENTION_BATCH={args.batch})")
    print(f"{'table':24} {'action':8} {'rows':>9} {'batches':>8} {'longest batch s':>16}")
    for table, action, count, batches, longest in retention:
        print(f"{table:24} {action:8} {count:9d} {batches:8d} {longest:16.3f}")
    removed = sum(row[2] for row in retention)
    print(f"{removed} rows in {seconds:.1f} s: {removed / seconds:,.0f} rows/s")
    if not args.keep_db:
        benchdb.drop(BENCH_DB)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myloware.settings")
    main()
