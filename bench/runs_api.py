"""Benchmark of the runs API at scale: 1,000,000 runs and 3,000,000 artifacts.

Loads the data with COPY into a separate database (``myloware_bench_runs``) on the embedded
server — never the development database — then times, through the real Django stack (test
client: middleware, API-key authentication, DRF, JSON rendering), the first page of
``GET /runs``, a page a million rows deep (keyset cursor), a filtered page (project + status),
``GET /runs/stats`` and ``GET /runs/{id}/timeline`` of a run with 500 artifacts.

    .venv/bin/python bench/runs_api.py                 # full scale, reuses a loaded database
    .venv/bin/python bench/runs_api.py --runs 100000   # smaller
    .venv/bin/python bench/runs_api.py --reload        # drop and load again
    .venv/bin/python bench/runs_api.py --drop          # remove the bench database

Figures go into docs/runs.md (median and p95 of --repeat requests per endpoint).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import benchdb  # noqa: E402

BENCH_DB = "myloware_bench_runs"
PROJECTS = [
    "aismr",
    "test_video_gen",
    "cats",
    "asmr_food",
    "travel",
    "diy",
    "news",
    "music",
    "sports",
    "kids",
]
# (status, share): most runs are finished, a few are in flight.
STATUSES = [
    ("published", 60),
    ("failed", 15),
    ("cancelled", 5),
    ("rejected", 5),
    ("running", 5),
    ("pending", 5),
    ("awaiting_approval", 3),
    ("pending_workflow", 2),
]
STATUS_WHEEL = [s for s, share in STATUSES for _ in range(share)]
ARTIFACT_TYPES = [("idea", "iggy", "iggy"), ("clip", "riley", "kieai"), ("render.url", "alex", "shotstack")]
TIMELINE_RUN = "run_timeline_500"


def prepare_database(reload: bool) -> None:
    """Create the bench database on the embedded server and point Django at it."""
    os.environ["DATABASE_URL"] = benchdb.create(BENCH_DB, recreate=reload)
    # DEBUG off: Django would otherwise keep every query in memory and slow each request.
    os.environ["DEBUG"] = "0"
    os.environ["SECURE_SSL_REDIRECT"] = "0"  # the test client speaks plain HTTP
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(32))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myloware.settings")


def load(n_runs: int, per_run: int) -> None:
    from django.db import connection

    base = datetime(2025, 1, 1, tzinfo=UTC)
    t0 = time.perf_counter()

    def run_lines():
        for i in range(n_runs):
            # Three runs share each timestamp: the keyset's tie-breaker is exercised.
            created = base + timedelta(seconds=(i // 3) * 10)
            status = STATUS_WHEEL[((i * 2654435761) >> 16) % len(STATUS_WHEEL)]  # scattered
            yield f"run_{i:08d}\t{PROJECTS[i % len(PROJECTS)]}\t{status}\t{{}}\t{{}}\t{created.isoformat()}\t{created.isoformat()}\n"
        created = base + timedelta(seconds=(n_runs // 3) * 10 + 5)
        yield f"{TIMELINE_RUN}\taismr\trunning\t{{}}\t{{}}\t{created.isoformat()}\t{created.isoformat()}\n"

    def artifact_lines():
        for i in range(n_runs):
            created = base + timedelta(seconds=(i // 3) * 10)
            for k in range(per_run):
                kind, persona, provider = ARTIFACT_TYPES[k % len(ARTIFACT_TYPES)]
                at = (created + timedelta(seconds=k + 1)).isoformat()
                yield (
                    f"{uuid.uuid4()}\trun_{i:08d}\t{kind}\t{provider}\thttps://cdn.test/{i}/{k}.mp4\t\\N\t{persona}"
                    f"\t\\N\t{{}}\t{at}\n"
                )
        created = base + timedelta(seconds=(n_runs // 3) * 10 + 5)
        for k in range(500):
            kind, persona, provider = ARTIFACT_TYPES[k % len(ARTIFACT_TYPES)]
            at = (created + timedelta(seconds=k + 1)).isoformat()
            yield f"{uuid.uuid4()}\t{TIMELINE_RUN}\t{kind}\t{provider}\thttps://cdn.test/t/{k}.mp4\t\\N\t{persona}\t\\N\t{{}}\t{at}\n"

    with connection.cursor() as cursor:
        # Bulk load: foreign keys are known to hold (generated together), skip their triggers.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET maintenance_work_mem = '512MB'")
        benchdb.copy_lines(
            cursor, "runs", "run_id, project, status, payload, result, created_at, updated_at", run_lines()
        )
        print(f"  runs loaded in {time.perf_counter() - t0:.1f} s", flush=True)
        t1 = time.perf_counter()
        benchdb.copy_lines(
            cursor,
            "artifacts",
            "id, run_id, type, provider, url, checksum, persona, retrieval_trace, metadata, created_at",
            artifact_lines(),
        )
        print(f"  artifacts loaded in {time.perf_counter() - t1:.1f} s", flush=True)
        cursor.execute("SET session_replication_role = origin")
    t2 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) runs")
        cursor.execute("VACUUM (ANALYZE) artifacts")
    print(f"  vacuum analyze in {time.perf_counter() - t2:.1f} s", flush=True)
    # The timeline run gets a real history through the services (transitions, a gate, a decision).
    from runs.services import checkpoint_save, gate_decide, gate_open, run_transition

    gate_open(run_id=TIMELINE_RUN, gate="prepublish", actor="bench", artifact_ids=[])
    gate_decide(run_id=TIMELINE_RUN, gate="prepublish", decision="approve", actor="admin:bench")
    run_transition(run_id=TIMELINE_RUN, to="published", actor="bench")
    checkpoint_save(run_id=TIMELINE_RUN, state={"node": "publish"}, actor="bench", expected_version=None)


def timed(client, url: str, repeat: int, headers: dict[str, str]) -> tuple[float, float, int]:
    samples = []
    status = 0
    for _ in range(repeat):
        t = time.perf_counter()
        response = client.get(url, **headers)
        samples.append((time.perf_counter() - t) * 1000)
        status = response.status_code
        assert status == 200, (url, status, response.content[:300])
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    return statistics.median(samples), p95, status


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--artifacts-per-run", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--reload", action="store_true", help="drop the bench database and load again")
    parser.add_argument(
        "--drop", action="store_true", help="drop the bench database (frees ~1.3 GB) and exit"
    )
    args = parser.parse_args()
    if args.drop:
        benchdb.drop(BENCH_DB)
        return
    prepare_database(args.reload)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from myloware.api.models import ALL_SCOPES
    from myloware.api.pagination import encode_cursor
    from myloware.api.services import api_key_create

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM runs")
        have = cursor.fetchone()[0]
    if have < args.runs:
        if have:
            sys.exit(f"{BENCH_DB} holds {have} runs; run with --reload to load {args.runs}")
        print(
            f"loading {args.runs:,} runs and {args.runs * args.artifacts_per_run + 500:,} artifacts (COPY) ..."
        )
        t = time.perf_counter()
        load(args.runs, args.artifacts_per_run)
        print(f"loaded in {time.perf_counter() - t:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'runs'")
        n_runs = cursor.fetchone()[0]
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'artifacts'")
        n_artifacts = cursor.fetchone()[0]
        # The cursor of a page ~1,000,000 rows deep (computed once, outside the timing).
        depth = min(n_runs - 100, 999_900)
        cursor.execute(
            "SELECT created_at, run_id FROM runs ORDER BY created_at DESC, run_id DESC OFFSET %s LIMIT 1",
            [depth],
        )
        deep_at, deep_id = cursor.fetchone()
    _, raw_key = api_key_create(name=f"bench-{secrets.token_hex(4)}", scopes=ALL_SCOPES)
    headers = {"HTTP_X_API_KEY": raw_key}
    client = Client()
    cases = [
        ("GET /runs (first page, 50)", "/api/v1/runs"),
        (f"GET /runs (cursor {depth:,} rows deep)", f"/api/v1/runs?cursor={encode_cursor(deep_at, deep_id)}"),
        ("GET /runs?project=aismr&status=running", "/api/v1/runs?project=aismr&status=running"),
        ("GET /runs?status=awaiting_approval", "/api/v1/runs?status=awaiting_approval"),
        ("GET /runs/stats", "/api/v1/runs/stats"),
        ("GET /runs/stats?project=aismr", "/api/v1/runs/stats?project=aismr"),
        ("GET /runs/{id}/timeline (500 artifacts)", f"/api/v1/runs/{TIMELINE_RUN}/timeline"),
        ("GET /runs/{id} (detail)", f"/api/v1/runs/{TIMELINE_RUN}"),
        ("GET /artifacts?persona=riley", "/api/v1/artifacts?persona=riley"),
    ]
    for _, url in cases:  # warm-up: caches, connection, first-request costs
        client.get(url, **headers)
    print(f"\n{n_runs:,} runs, {n_artifacts:,} artifacts; {args.repeat} requests each; milliseconds")
    print("| request | median | p95 |\n|---|---:|---:|")
    results = {}
    for label, url in cases:
        median, p95, _ = timed(client, url, args.repeat, headers)
        results[label] = median
        print(f"| {label} | {median:.1f} | {p95:.1f} |", flush=True)
    first, deep = results[cases[0][0]], results[cases[1][0]]
    print(f"\ndeep page / first page = {deep / first:.2f}x")


if __name__ == "__main__":
    main()
