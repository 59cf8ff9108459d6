"""Benchmark of the console's dashboard queries at 1,000,000 runs.

Loads, with COPY into its own database (``myloware_bench_dashboard``) on the embedded server:
1,000,000 runs spread over the last year, a ``published`` transition for 60 % of them, an
ideate and a prepublish gate (decided) for half of them, 300,000 webhook events over the last
30 days and 2,000 dead-letter entries. Then times each dashboard read (the selectors behind the
charts, and the whole admin index page through the real Django stack) side by side with a
baseline: the same query with the planner's index scans switched off (what it costs without its
index), and for the time to publish the plain join over the whole window (no sample, no lookup by key).

    .venv/bin/python bench/dashboard.py              # full scale, reuses a loaded database
    .venv/bin/python bench/dashboard.py --runs 100000
    .venv/bin/python bench/dashboard.py --reload     # drop and load again
    .venv/bin/python bench/dashboard.py --drop       # remove the bench database
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import benchdb  # noqa: E402

BENCH_DB = "myloware_bench_dashboard"
PROJECTS = ["aismr", "cats", "asmr_food", "travel", "diy", "news", "music", "sports", "kids", "art"]
STATUS_WHEEL = ["published"] * 60 + ["failed"] * 15 + ["cancelled"] * 5 + ["rejected"] * 5 + ["running"] * 15
PROVIDERS = ["kieai", "shotstack", "upload-post"]
EVENT_WHEEL = ["processed"] * 90 + ["ignored"] * 4 + ["failed"] * 4 + ["rejected"] * 2
NAIVE_TIME_TO_PUBLISH = """
SELECT r.project, percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM t.created_at - r.created_at)),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM t.created_at - r.created_at)), count(*)
FROM run_transitions t JOIN runs r ON r.run_id = t.run_id
WHERE t.to_status = 'published' AND t.created_at >= %(since)s
GROUP BY r.project ORDER BY count(*) DESC LIMIT 6
"""


def load(n_runs: int, now: datetime) -> None:
    from django.db import connection

    year = timedelta(days=365)

    def created(i: int) -> datetime:
        return now - year + year * (i / n_runs)

    def status(i: int) -> str:
        return STATUS_WHEEL[((i * 2654435761) >> 16) % len(STATUS_WHEEL)]

    def runs() -> Iterator[str]:
        for i in range(n_runs):
            at = created(i).isoformat()
            yield f"run_{i:08d}\t{PROJECTS[i % len(PROJECTS)]}\t{status(i)}\t{{}}\t\\N\t{at}\t{at}\n"

    def transitions() -> Iterator[str]:
        for i in range(n_runs):
            if status(i) == "published":
                at = created(i) + timedelta(minutes=30 + (i * 7919) % 2880)
                yield f"run_{i:08d}\trunning\tpublished\tbench\t\t{at.isoformat()}\n"

    def gates() -> Iterator[str]:
        for i in range(0, n_runs, 2):
            opened = created(i) + timedelta(minutes=5)
            for gate in ("ideate", "prepublish"):
                decided = opened + timedelta(seconds=60 + (i * 104729) % 86400)
                yield (
                    f"run_{i:08d}\t{gate}\tapproved\t\t[]\t\tbench\t{opened.isoformat()}\t"
                    f"{(opened + timedelta(hours=72)).isoformat()}\t1\tt\trunning\t{decided.isoformat()}\t"
                    f"admin:bench\t\tdelivered\t1\t\\N\t\t{decided.isoformat()}\n"
                )
                opened = decided + timedelta(minutes=20)

    def events() -> Iterator[str]:
        n_events = max(1, n_runs * 3 // 10)
        month = timedelta(days=30)
        for i in range(n_events):
            at = (now - month + month * (i / n_events)).isoformat()
            state = EVENT_WHEEL[(i * 31) % len(EVENT_WHEEL)]
            # A rejected delivery never names a run (a constraint of webhook_events).
            signature, run = ("invalid", "\\N") if state == "rejected" else ("valid", f"run_{i % n_runs:08d}")
            yield f"{uuid.uuid4()}\tkey-{i}\t{PROVIDERS[i % 3]}\t{{}}\t\\\\x7b7d\t{signature}\t{at}\t{state}\t{run}\n"

    with connection.cursor() as cursor:
        benchdb.bulk_load(
            cursor,
            (
                ("runs", "run_id, project, status, payload, result, created_at, updated_at", runs()),
                (
                    "run_transitions",
                    "run_id, from_status, to_status, actor, reason, created_at",
                    transitions(),
                ),
                ("gate_requests", benchdb.COPY_COLUMNS["gate_requests"], gates()),
                ("webhook_events", benchdb.COPY_COLUMNS["webhook_events"], events()),
                ("webhook_dlq", benchdb.COPY_COLUMNS["webhook_dlq"], benchdb.dlq_lines(now, PROVIDERS)),
            ),
        )


def timed(call: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--drop", action="store_true")
    args = parser.parse_args()
    if args.drop:
        benchdb.drop(BENCH_DB)
        return
    os.environ["DATABASE_URL"] = benchdb.create(BENCH_DB, recreate=args.reload)
    os.environ["DEBUG"] = "0"  # no query log in memory
    os.environ["SECURE_SSL_REDIRECT"] = "0"  # the test client speaks plain HTTP
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(32))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myloware.settings")
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from runs import selectors as runs_selectors
    from webhooks import selectors as webhooks_selectors

    call_command("migrate", verbosity=0)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM runs")
        have = cursor.fetchone()[0]
    if have < args.runs:
        if have:
            sys.exit(f"{BENCH_DB} holds {have:,} runs; run with --reload to load {args.runs:,}")
        print(f"loading {args.runs:,} runs ...", flush=True)
        t = time.perf_counter()
        load(args.runs, now)
        print(f"loaded in {time.perf_counter() - t:.1f} s", flush=True)
    # The loaded history ends when it was loaded: measure at that moment, so the windows hold data.
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(created_at) FROM runs")
        now = cursor.fetchone()[0]
        counts = {}
        for table in ("runs", "run_transitions", "gate_requests", "webhook_events", "webhook_dlq"):
            cursor.execute(f"SELECT reltuples::bigint FROM pg_class WHERE relname = '{table}'")
            counts[table] = cursor.fetchone()[0]
    user = User.objects.filter(username="bench").first() or User.objects.create_superuser("bench", "", "x")
    client = Client()
    client.force_login(user)

    def without_indexes(call: Callable[[], object]) -> Callable[[], object]:
        """The baseline of a read: the same query with the planner's index scans switched off."""

        def run() -> object:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off"
                )
            try:
                return call()
            finally:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "RESET enable_indexscan; RESET enable_bitmapscan; RESET enable_indexonlyscan"
                    )

        return run

    def naive_time_to_publish() -> object:
        """The baseline of time_to_publish: the plain join over the whole window, no sample."""
        with connection.cursor() as cursor:
            cursor.execute(NAIVE_TIME_TO_PUBLISH, {"since": now - timedelta(days=30)})
            return cursor.fetchall()

    cases: list[tuple[str, Callable[[], object], Callable[[], object] | None]] = []
    for label, call in [
        ("runs by status per day (14 days)", lambda: runs_selectors.runs_by_status_per_day(now=now)),
        ("gate waiting median/p90 (7 days)", lambda: runs_selectors.gate_wait_stats(now=now)),
        ("deliveries per provider per hour (24 h)", lambda: webhooks_selectors.deliveries_per_hour(now=now)),
        ("DLQ depth and oldest entry", lambda: webhooks_selectors.dlq_depth(now=now)),
        ("approvals badge (every admin page)", lambda: runs_selectors.approval_queue_summary(now=now)),
    ]:
        cases.append((label, call, without_indexes(call)))
    cases.append(
        (
            "creation → published median/p90 (30 days)",
            lambda: runs_selectors.time_to_publish(now=now),
            naive_time_to_publish,
        )
    )
    cases.append(("GET /admin/ (whole dashboard page)", lambda: client.get("/admin/"), None))
    for _, call, _ in cases:
        call()  # warm-up
    print(
        f"\n{counts['runs']:,} runs, {counts['run_transitions']:,} transitions, {counts['gate_requests']:,} gates,"
        f" {counts['webhook_events']:,} webhook events, {counts['webhook_dlq']:,} DLQ entries;"
        f" median of {args.repeat}, milliseconds"
    )
    print("| read | ours | baseline | baseline / ours |\n|---|---:|---:|---:|")
    for label, call, baseline_call in cases:
        ours = timed(call, args.repeat)
        if baseline_call is None:
            print(f"| {label} | {ours:.1f} | — | — |", flush=True)
            continue
        baseline = timed(baseline_call, max(3, args.repeat // 3))
        print(f"| {label} | {ours:.1f} | {baseline:.1f} | {baseline / ours:.1f}x |", flush=True)


if __name__ == "__main__":
    main()
