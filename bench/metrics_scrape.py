"""Benchmark of a /metrics scrape at 1,000,000 runs and 1,000,000 webhook events.

Loads, with COPY into its own database (``myloware_bench_metrics``) on the embedded server:
1,000,000 runs over 10 projects and every status (most finished, a few in flight), 1,000,000
webhook events over the last 30 days (nearly all processed, a backlog of 200 waiting), 250,000
gates (1,000 open), 2,000 dead-letter entries. Then times, through the real Django
stack (test client: middleware, the bearer token, the view), the whole scrape (django-prometheus'
and our counters, every gauge read from the database), and each gauge's read alone, side by side
with a baseline in the same run: the plain GROUP BY over ``runs`` that the runs gauge replaces
(it sums ``run_status_counts`` instead, here holding a minute of unfolded rows: 12,000 +1/-1 rows
of 100 transitions a second on top of one row per pair).

    .venv/bin/python bench/metrics_scrape.py              # full scale, reuses a loaded database
    .venv/bin/python bench/metrics_scrape.py --runs 100000 --events 100000
    .venv/bin/python bench/metrics_scrape.py --reload     # drop and load again
    .venv/bin/python bench/metrics_scrape.py --drop       # remove the bench database
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import benchdb  # noqa: E402

BENCH_DB = "myloware_bench_metrics"
TOKEN = "bench-metrics-token-0123456789"
PROJECTS = ["aismr", "cats", "asmr_food", "travel", "diy", "news", "music", "sports", "kids", "art"]
STATUS_WHEEL = (
    ["published"] * 60 + ["failed"] * 15 + ["cancelled"] * 5 + ["rejected"] * 5
    + ["running"] * 8 + ["pending"] * 4 + ["awaiting_approval"] * 2 + ["pending_workflow"] * 1
)  # fmt: skip
PROVIDERS = ["kieai", "shotstack", "upload-post"]
EVENT_WHEEL = ["processed"] * 90 + ["ignored"] * 4 + ["failed"] * 4 + ["rejected"] * 2
BACKLOG = 200
OPEN_GATES = 1_000
# make run's processes: 2 gunicorn workers, 2 webhook loops, the cluster's sentinel, 2 workers,
# monitor and pusher, and its main process.
PROCESSES = 10


def load(n_runs: int, n_events: int, now: datetime) -> None:
    from django.db import connection

    year, month = timedelta(days=365), timedelta(days=30)

    def runs() -> Iterator[str]:
        for i in range(n_runs):
            at = (now - year + year * (i / n_runs)).isoformat()
            status = STATUS_WHEEL[((i * 2654435761) >> 16) % len(STATUS_WHEEL)]
            yield f"run_{i:08d}\t{PROJECTS[i % len(PROJECTS)]}\t{status}\t{{}}\t\\N\t{at}\t{at}\n"

    def gates() -> Iterator[str]:
        for n, i in enumerate(range(0, n_runs, max(1, n_runs // (200_000 + OPEN_GATES)))):
            opened = now - timedelta(minutes=5 + (i * 7919) % (3 * 24 * 60))
            deadline = (opened + timedelta(hours=72)).isoformat()
            gate = ("workflow", "ideate", "prepublish")[i % 3]
            if n < OPEN_GATES:
                decision = f"open\t\t[]\t\tbench\t{opened.isoformat()}\t{deadline}\t1\tt\trunning\t\\N\t\t\tnone\t0\t\\N\t\t\\N"
            else:
                decided = (opened + timedelta(hours=1)).isoformat()
                decision = (
                    f"approved\t\t[]\t\tbench\t{opened.isoformat()}\t{deadline}\t1\tt\trunning\t{decided}\t"
                    f"admin:bench\t\tdelivered\t1\t\\N\t\t{decided}"
                )
            yield f"run_{i:08d}\t{gate}\t{decision}\n"

    def events() -> Iterator[str]:
        for i in range(n_events):
            at = (now - month + month * (i / n_events)).isoformat()
            state = "received" if i >= n_events - BACKLOG else EVENT_WHEEL[(i * 31) % len(EVENT_WHEEL)]
            signature, run = ("invalid", "\\N") if state == "rejected" else ("valid", f"run_{i % n_runs:08d}")
            yield f"{uuid.uuid4()}\tkey-{i}\t{PROVIDERS[i % 3]}\t{{}}\t\\\\x7b7d\t{signature}\t{at}\t{state}\t{run}\n"

    with connection.cursor() as cursor:
        benchdb.bulk_load(
            cursor,
            (
                ("runs", "run_id, project, status, payload, result, created_at, updated_at", runs()),
                ("gate_requests", benchdb.COPY_COLUMNS["gate_requests"], gates()),
                ("webhook_events", benchdb.COPY_COLUMNS["webhook_events"], events()),
                ("webhook_dlq", benchdb.COPY_COLUMNS["webhook_dlq"], benchdb.dlq_lines(now, PROVIDERS)),
            ),
        )
        # COPY as replica fired no trigger: the counts of the loaded runs, as the migration writes them.
        cursor.execute("DELETE FROM run_status_counts")
        cursor.execute(
            "INSERT INTO run_status_counts (project, status, runs) SELECT project, status, count(*) FROM runs GROUP BY 1, 2"
        )
        cursor.execute("VACUUM (ANALYZE) run_status_counts")


def timed(call: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median and worst of ``repeat`` calls, in milliseconds (after one warm-up call)."""
    call()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        call()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--drop", action="store_true")
    args = parser.parse_args()
    if args.drop:
        benchdb.drop(BENCH_DB)
        return
    os.environ["DATABASE_URL"] = benchdb.create(BENCH_DB, recreate=args.reload)
    os.environ["DEBUG"] = "0"  # no query log in memory
    os.environ["SECURE_SSL_REDIRECT"] = "0"  # the test client speaks plain HTTP
    os.environ["METRICS_TOKEN"] = TOKEN
    # Multiprocess mode, as under make run: the scrape sums every process' files (filled below).
    metrics_dir = Path(tempfile.mkdtemp(prefix="myloware-bench-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(32))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myloware.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone

    from knowledge.selectors import documents_waiting_for_vectors
    from myloware.workers.selectors import schedule_lags, task_queue
    from runs.selectors import open_gates, runs_per_project_and_status
    from runs.services import run_status_counts_fold
    from webhooks.selectors import dlq_depth, webhook_backlog

    call_command("migrate", verbosity=0)
    call_command("setup_schedules", verbosity=0)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM runs")
        have = cursor.fetchone()[0]
    if have < args.runs:
        if have:
            sys.exit(f"{BENCH_DB} holds {have:,} runs; run with --reload to load {args.runs:,}")
        print(f"loading {args.runs:,} runs and {args.events:,} events ...", flush=True)
        t = time.perf_counter()
        load(args.runs, args.events, now)
        print(f"loaded in {time.perf_counter() - t:.1f} s", flush=True)
    with connection.cursor() as cursor:
        counts = {}
        for table in ("runs", "gate_requests", "webhook_events", "webhook_dlq"):
            cursor.execute(f"SELECT reltuples::bigint FROM pg_class WHERE relname = '{table}'")
            counts[table] = cursor.fetchone()[0]
    client = Client()

    def scrape() -> object:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200, response.status_code
        return response

    def group_by_runs() -> object:
        with connection.cursor() as cursor:
            cursor.execute("SELECT project, status, count(*) FROM runs GROUP BY project, status")
            return cursor.fetchall()

    with transaction.atomic(), connection.cursor() as cursor:  # a minute of transitions, not folded yet
        cursor.execute("SELECT count(*) FROM run_status_counts")
        if cursor.fetchone()[0] < 1000:
            for i in range(3000):
                project = PROJECTS[i % len(PROJECTS)]
                cursor.execute(
                    "INSERT INTO run_status_counts (project, status, runs) VALUES "
                    "(%s, 'running', -1), (%s, 'published', 1), (%s, 'running', 1), (%s, 'published', -1)",
                    [project] * 4,
                )
    assert sorted(runs_per_project_and_status()) == sorted(group_by_runs()), "the counts disagree"

    scrape()  # this process' files: copied as the files of the other processes of a host
    for path in list(metrics_dir.glob(f"*_{os.getpid()}.db")):
        for other in range(1, PROCESSES):
            shutil.copy(path, path.with_name(path.name.replace(f"_{os.getpid()}.db", f"_{10**7 + other}.db")))
    print(f"\nrows: {', '.join(f'{table} {n:,}' for table, n in counts.items())}")
    print(f"machine: {os.cpu_count()} cores, shared; median and worst of {args.repeat} calls")
    print(
        f"multiprocess mode: the files of {PROCESSES} processes ({len(list(metrics_dir.glob('*.db')))} files)\n"
    )
    series = scrape().content.decode().count("\n")  # type: ignore[attr-defined]
    results = {
        "whole scrape (GET /metrics)": timed(scrape, args.repeat),
        "  myloware_runs (sum of run_status_counts)": timed(runs_per_project_and_status, args.repeat),
        "  myloware_runs, after the fold": (
            run_status_counts_fold(),
            timed(runs_per_project_and_status, args.repeat),
        )[1],
        "  gates (open, oldest, deadline used)": timed(lambda: open_gates(now=timezone.now()), args.repeat),
        "  webhook backlog": timed(webhook_backlog, args.repeat),
        "  dead-letter entries": timed(lambda: dlq_depth(now=timezone.now()), args.repeat),
        "  schedule lags": timed(lambda: schedule_lags(now=timezone.now()), args.repeat),
        "  task queue": timed(lambda: task_queue(now=timezone.now()), args.repeat),
        "  knowledge documents waiting": timed(documents_waiting_for_vectors, args.repeat),
        "baseline: GROUP BY project, status over runs": timed(group_by_runs, max(3, args.repeat // 5)),
    }
    for name, (median, worst) in results.items():
        print(f"{name:48} median {median:7.1f} ms   worst {worst:7.1f} ms")
    whole = results["whole scrape (GET /metrics)"][0]
    ratio = (
        results["baseline: GROUP BY project, status over runs"][0]
        / results["  myloware_runs (sum of run_status_counts)"][0]
    )
    print(f"\n{series} lines per scrape; the plain GROUP BY is {ratio:.0f}x slower than the counts")
    shutil.rmtree(metrics_dir)
    print(f"whole scrape median {whole:.1f} ms: {'under' if whole < 50 else 'OVER'} the 50 ms budget")


if __name__ == "__main__":
    main()
