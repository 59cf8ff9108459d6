"""Benchmark of the publish flow against a local upload-post stand-in.

Uses a separate database (``myloware_bench_socials``) on the embedded server — never the
development database — and a local HTTP server thread that plays both the video host (serving a
1 MiB video) and upload-post (``POST /api/upload`` answering with a URL). Measures:

1. end-to-end publish: ``publication_request`` + the job (run synchronously, Q_SYNC): claim,
   credential, SSRF-checked fetch of 1 MiB, multipart upload, artifact, result, transition;
2. a repeat of the same content (idempotent replay, no provider call);
3. a refusal inside the rate window for an account with a deep history (--history publications):
   the account row lock + index lookup of the latest publication;
4. contention: --threads concurrent publishes to one account per round; exactly one may win.

    .venv/bin/python bench/socials_publish.py
    .venv/bin/python bench/socials_publish.py --publishes 200 --history 200000 --threads 8
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import benchdb  # noqa: E402

BENCH_DB = "myloware_bench_socials"
VIDEO = b"\x00" * (1024 * 1024)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    uploads = 0

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(len(VIDEO)))
        self.end_headers()
        self.wfile.write(VIDEO)

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Handler.uploads += 1
        body = (
            b'{"success": true, "results": {"tiktok": {"success": true, "url": "https://www.tiktok.com/@b/video/%d"}}}'
            % Handler.uploads
        )
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def prepare(server_url: str) -> None:
    os.environ.update(
        {
            "DATABASE_URL": benchdb.create(BENCH_DB, recreate=True),
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",  # the test client speaks plain HTTP
            "SECRET_KEY": secrets.token_urlsafe(32),
            "Q_SYNC": "1",
            "LOG_LEVEL": "ERROR",
            "DJANGO_SETTINGS_MODULE": "myloware.settings",
            "UPLOAD_POST_BASE_URL": server_url,
            "UPLOAD_POST_ASYNC": "0",
            "SOCIALS_VIDEO_ALLOWED_HOSTS": "127.0.0.1",
            "SOCIALS_VIDEO_ALLOWED_NETWORKS": "127.0.0.0/8",
            "PUBLISH_CREDENTIAL_BENCH": "bench-key-" + secrets.token_hex(8),
            "GATE_DISABLED": "prepublish",
            "SOCIALS_FAKE_PUBLISHER": "0",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def stats(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return f"median {statistics.median(ms):.2f} ms, p95 {p95:.2f} ms (n={len(ms)})"


def running_run(project: str, video: str) -> str:
    from artifacts.services import artifact_create
    from runs.services import run_create, run_transition

    run = run_create(project=project, actor="bench")
    run_transition(run_id=run.run_id, to="running", actor="bench")
    artifact_create(run_id=run.run_id, type="render.url", url=video, provider="shotstack")
    return run.run_id


def account(project: str, window: int | None = None) -> object:
    from socials import services

    social = services.social_create(
        provider="tiktok",
        account_id=f"{project}-acct",
        credential_ref="env:PUBLISH_CREDENTIAL_BENCH",
        rate_limit_window=window,
        actor="bench",
    )
    services.project_social_link(project=project, social_id=social.pk, is_primary=True, actor="bench")
    return social


def bench_end_to_end(server_url: str, n: int) -> None:
    from socials import services

    account("e2e", window=0)
    runs = [running_run("e2e", f"{server_url}/v/{i}.mp4") for i in range(n)]
    times, replays = [], []
    for run_id in runs:
        t0 = time.perf_counter()
        publication, created = services.publication_request(run_id=run_id, actor="bench")
        times.append(time.perf_counter() - t0)
        assert created
    for run_id in runs[: min(n, 100)]:
        t0 = time.perf_counter()
        _, created = services.publication_request(run_id=run_id, actor="bench")
        replays.append(time.perf_counter() - t0)
        assert not created
    from socials.models import Publication

    published = Publication.objects.filter(social__account_id="e2e-acct", status="published").count()
    print(
        f"1. end-to-end publish (1 MiB fetch + upload, job inline): {stats(times)}; published {published}/{n}"
    )
    print(f"2. same content again (idempotent replay): {stats(replays)}; provider calls {Handler.uploads}")


def bench_window(server_url: str, history: int, repeats: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from myloware.lib.errors import RateLimited
    from socials import selectors, services

    social = account("deep", window=3600)
    seed_run = running_run("deep", f"{server_url}/seed.mp4")
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO social_publications (id, run_id, social_id, platform, account_id, video_url, caption,
                tags, idempotency_key, status, attempts, fake, error, actor, requested_at, created_at, updated_at)
            SELECT gen_random_uuid(), %s, %s, 'tiktok', 'deep-acct', 'https://v/' || g, '', '[]',
                   'bench-' || g, 'published', 1, false, '', 'bench',
                   now() - make_interval(secs => (%s - g) * 10), now(), now()
            FROM generate_series(1, %s) AS g
            """,
            [seed_run, str(social.pk), history, history],
        )
        cursor.execute("ANALYZE social_publications")
    print(f"   ({history:,} publications of one account loaded in {time.perf_counter() - t0:.1f} s)")
    refusals, lookups = [], []
    runs = [running_run("deep", f"{server_url}/new/{i}.mp4") for i in range(repeats)]
    for run_id in runs:
        t0 = time.perf_counter()
        try:
            services.publication_request(run_id=run_id, actor="bench")
        except RateLimited:
            refusals.append(time.perf_counter() - t0)
    for _ in range(repeats):
        t0 = time.perf_counter()
        selectors.social_next_publish_at(social)
        lookups.append(time.perf_counter() - t0)
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN SELECT requested_at FROM social_publications WHERE social_id = %s ORDER BY requested_at DESC LIMIT 1",
            [str(social.pk)],
        )
        plan = " / ".join(row[0].strip() for row in cursor.fetchall()[:2])
    assert len(refusals) == repeats, "every request inside the window must be refused"
    print(f"3. 429 inside the window (lock + latest-publication lookup): {stats(refusals)}")
    print(f"   next_publish_at lookup: {stats(lookups)}; plan: {plan}; now {timezone.now():%H:%M:%S}")


def bench_contention(server_url: str, threads: int, rounds: int) -> None:
    from django.db import connection

    from myloware.lib.errors import RateLimited
    from socials import services

    walls, wins = [], []
    for r in range(rounds):
        project = f"race{r}"
        account(project, window=3600)
        runs = [running_run(project, f"{server_url}/race/{r}/{i}.mp4") for i in range(threads)]
        barrier = threading.Barrier(threads)
        outcome: list[str] = []

        def publish(run_id: str, barrier: threading.Barrier = barrier, outcome: list[str] = outcome) -> None:
            barrier.wait()
            try:
                services.publication_request(run_id=run_id, actor="bench")
                outcome.append("ok")
            except RateLimited:
                outcome.append("429")
            finally:
                connection.close()

        workers = [threading.Thread(target=publish, args=(run_id,)) for run_id in runs]
        t0 = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        walls.append(time.perf_counter() - t0)
        wins.append(outcome.count("ok"))
    print(
        f"4. {threads} concurrent publishes to one account, {rounds} rounds: winners per round {sorted(set(wins))}, "
        f"round wall time {stats(walls)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--publishes", type=int, default=100)
    parser.add_argument("--history", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    server_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    prepare(server_url)
    print(f"socials bench on {os.cpu_count()} CPUs, database {BENCH_DB}")
    bench_end_to_end(server_url, args.publishes)
    bench_window(server_url, args.history, args.repeats)
    bench_contention(server_url, args.threads, args.rounds)
    httpd.shutdown()


if __name__ == "__main__":
    main()
