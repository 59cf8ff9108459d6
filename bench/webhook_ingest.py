"""Webhook intake benchmark: the app under gunicorn vs a bare psycopg WSGI baseline.

    .venv/bin/python bench/webhook_ingest.py [--requests 3000] [--concurrency 16] [--workers 4]
                                             [--rate 100] [--rate-seconds 10] [--keep-db]

What it does (loopback only, bounded request counts, stops by itself):
1. starts (or attaches to) the embedded PostgreSQL and creates a separate database
   ``myloware_bench_webhooks`` (dropped at the end unless --keep-db), migrated like production;
2. for each target — the app (``myloware.wsgi``, DEBUG off, provider ``bench`` configured as a
   Standard-Webhooks sender through WEBHOOK_STANDARD_PROVIDERS / WEBHOOK_SECRET_BENCH) and the
   baseline (``bench/baseline_wsgi.py``: only the INSERT ... ON CONFLICT) — it starts gunicorn
   with the same worker count, then from this process (threads, one httpx client each):
   - throughput: ``--requests`` distinct signed deliveries with ``--concurrency`` in flight;
   - paced: ``--rate`` requests/s for ``--rate-seconds`` (open loop: latency is measured from
     each request's scheduled time, so a stall is not hidden);
   while a sampler reads the peak RSS of the gunicorn master + workers from /proc;
3. prints accepted requests/s, p50/p99 latency, peak server RSS, and the app/baseline ratio.

The intake stores each event as in production, but no webhook loop runs: this measures intake
only, which is what a sender waits for.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import threading
import time
import uuid
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import benchdb  # noqa: E402

BENCH_DB = "myloware_bench_webhooks"
SECRET_KEY_BYTES = b"bench-webhook-signing-key-0123456789"
SECRET = "whsec_" + base64.b64encode(SECRET_KEY_BYTES).decode()
PYTHON = sys.executable


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(dsn: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=dsn,
        BENCH_DSN=dsn,
        DEBUG="0",
        SECURE_SSL_REDIRECT="0",  # plain HTTP on loopback
        SECRET_KEY="bench-only-secret-key-" + uuid.uuid4().hex,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
        Q_SYNC="0",
        WEBHOOK_STANDARD_PROVIDERS="bench",
        WEBHOOK_SECRET_BENCH=SECRET,
    )
    return env


def migrate(dsn: str) -> None:
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=server_env(dsn), check=True
    )


# --- server process and its memory ------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


class RssSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def run(self) -> None:
        pids = process_tree(self.pid)
        last_tree = time.monotonic()
        while not self.stop.is_set():
            if time.monotonic() - last_tree > 1:
                pids, last_tree = process_tree(self.pid), time.monotonic()
            self.peak = max(self.peak, rss_bytes(pids))
            self.stop.wait(0.05)


def start_gunicorn(app: str, port: int, workers: int, dsn: str) -> subprocess.Popen[bytes]:
    command = [
        PYTHON,
        "-m",
        "gunicorn",
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--timeout",
        "60",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=server_env(dsn))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn for {app} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"gunicorn for {app} did not start within 60 s")


def stop_gunicorn(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- load -------------------------------------------------------------------------------------


def delivery(index: int, run: str) -> tuple[bytes, dict[str, str]]:
    """A kie.ai-shaped body signed like a Standard-Webhooks sender (unique id per delivery)."""
    body = json.dumps(
        {
            "code": 200,
            "msg": "Veo3 video generated successfully.",
            "data": {
                "taskId": f"bench_{run}_{index}",
                "info": {
                    "resultUrls": [f"https://tempfile.aiquickdraw.com/v/{run}_{index}.mp4"],
                    "resolution": "1080p",
                },
                "metadata": {"videoIndex": index % 4, "runId": f"run_bench_{run}"},
            },
        }
    ).encode()
    msg_id = f"msg_{run}_{index}"
    timestamp = str(int(time.time()))
    digest = hmac.new(SECRET_KEY_BYTES, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }
    return body, headers


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    accepted: int = 0
    other: dict[int, int] = field(default_factory=dict)
    elapsed: float = 0.0


def send_all(
    deliveries: list[tuple[str, bytes, dict[str, str]]],
    concurrency: int,
    rate: float | None = None,
    verify: ssl.SSLContext | bool = True,
) -> Result:
    """POST every ``(url, body, headers)`` once; closed loop, or open loop at ``rate`` requests/s.

    The clock starts when every thread has its client: creating 16 httpx clients at once takes
    longer than the first requests' slots, which would otherwise count as the server's latency
    (the slowest 1 % of a paced run would be its first requests, for the app and the baseline alike).
    """
    result, lock, cursor = Result(), threading.Lock(), iter(range(len(deliveries)))
    start = 0.0

    def set_start() -> None:  # run once, after the last thread arrived, before any is released
        nonlocal start
        start = time.perf_counter()

    ready = threading.Barrier(concurrency + 1, action=set_start)

    def worker() -> None:
        with httpx.Client(timeout=30, verify=verify) as client:
            ready.wait()
            while True:
                with lock:
                    index = next(cursor, None)
                if index is None:
                    return
                scheduled = start + index / rate if rate else None
                if scheduled is not None:
                    time.sleep(max(0.0, scheduled - time.perf_counter()))
                url, body, headers = deliveries[index]
                began = scheduled or time.perf_counter()
                try:
                    response = client.post(url, content=body, headers=headers)
                    status = response.status_code
                    accepted = status == 200 and response.json().get("status") == "accepted"
                except httpx.HTTPError:
                    status, accepted = -1, False
                latency = time.perf_counter() - began
                with lock:
                    result.latencies.append(latency)
                    if accepted:
                        result.accepted += 1
                    else:
                        result.other[status] = result.other.get(status, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    ready.wait()
    for thread in threads:
        thread.join()
    result.elapsed = time.perf_counter() - start
    return result


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


@dataclass
class Target:
    name: str
    app: str
    path: str
    process: subprocess.Popen[bytes] | None = None
    sampler: RssSampler | None = None
    url: str = ""
    throughput: list[Result] = field(default_factory=list)
    paced: list[Result] = field(default_factory=list)

    def start(self, dsn: str, workers: int) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}{self.path}"
        self.process = start_gunicorn(self.app, port, workers, dsn)
        self.sampler = RssSampler(self.process.pid)
        self.sampler.start()

    def stop(self) -> None:
        if self.sampler:
            self.sampler.stop.set()
            self.sampler.join()
        if self.process:
            stop_gunicorn(self.process)

    def rps(self) -> list[float]:
        return [r.accepted / r.elapsed for r in self.throughput]


def run_round(target: Target, number: int, args: argparse.Namespace) -> None:
    tag = f"{target.name}{number}{uuid.uuid4().hex[:6]}"

    def batch(prefix: str, count: int) -> list[tuple[str, bytes, dict[str, str]]]:
        return [(target.url, *delivery(i, f"{prefix}{tag}")) for i in range(count)]

    if number == 0:
        send_all(batch("warm", 100), args.concurrency)
    target.throughput.append(send_all(batch("tp", args.requests), args.concurrency))
    paced = batch("pc", int(args.rate * args.rate_seconds))
    target.paced.append(send_all(paced, args.concurrency, rate=args.rate))


def ms(value: float) -> str:
    return f"{value * 1000:.1f}"


def print_reports(targets: list[Target], args: argparse.Namespace) -> None:
    print(
        f"\n{args.rounds} alternating rounds; each: {args.requests} deliveries with {args.concurrency} concurrent "
        f"clients, then {args.rate:g} req/s for {args.rate_seconds:g} s; gunicorn --workers {args.workers} (sync)"
    )
    header = (
        f"{'target':<9} {'accepted/s (median; rounds)':<40} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'paced p50':>9} {'paced p99':>9} {'peak RSS':>9}  errors"
    )
    print(header)
    print("-" * len(header))
    for target in targets:
        latencies = [x for r in target.throughput for x in r.latencies]
        paced = [percentile(r.latencies, 99) for r in target.paced]
        paced50 = [percentile(r.latencies, 50) for r in target.paced]
        errors: dict[str, int] = {}
        for result in target.throughput + target.paced:
            for status, count in result.other.items():
                errors[str(status)] = errors.get(str(status), 0) + count
        rounds = ", ".join(f"{x:.0f}" for x in target.rps())
        print(
            f"{target.name:<9} {statistics.median(target.rps()):>7.1f} ({rounds}){'':<5} "
            f"{ms(percentile(latencies, 50)):>7} {ms(percentile(latencies, 99)):>7} "
            f"{ms(statistics.median(paced50)):>9} {ms(statistics.median(paced)):>9} "
            f"{(target.sampler.peak if target.sampler else 0) / 2**20:>6.0f} MiB  {errors or '-'}"
        )
    app, baseline = targets
    ratios = [a / b for a, b in zip(app.rps(), baseline.rps(), strict=True)]
    print(
        f"\nthroughput ratio app/baseline: median {statistics.median(ratios):.2f} "
        f"(per round: {', '.join(f'{r:.2f}' for r in ratios)}; goal >= 0.80)"
    )
    paced_p99 = [percentile(r.latencies, 99) for r in app.paced]
    base_p99 = [percentile(r.latencies, 99) for r in baseline.paced]
    print(
        f"app p99 at {args.rate:g} req/s: median {ms(statistics.median(paced_p99))} ms "
        f"(per round: {', '.join(ms(x) for x in paced_p99)}), "
        f"{statistics.median(paced_p99) / statistics.median(base_p99):.2f} x the baseline's "
        f"{ms(statistics.median(base_p99))} ms (goal <= 2 x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--rate-seconds", type=float, default=10.0)
    parser.add_argument(
        "--rounds", type=int, default=3, help="Alternating rounds per target (median reported)"
    )
    parser.add_argument("--keep-db", action="store_true", help="Keep the bench database afterwards")
    args = parser.parse_args()
    if not (
        1 <= args.rounds <= 10
        and 1 <= args.requests <= 100_000
        and 1 <= args.concurrency <= 256
        and 0 < args.rate * args.rate_seconds <= 100_000
    ):
        raise SystemExit(
            "keep the load bounded: requests <= 100000, concurrency <= 256, rate * seconds <= 100000"
        )
    dsn = benchdb.create(BENCH_DB, recreate=True)
    targets = [
        Target("app", "myloware.wsgi:application", "/api/v1/webhooks/bench"),
        Target("baseline", "bench.baseline_wsgi:application", "/"),
    ]
    try:
        migrate(dsn)
        for target in targets:
            target.start(dsn, args.workers)
        # Alternate the targets so that noise from other work on the machine hits both alike.
        for number in range(args.rounds):
            for target in targets:
                run_round(target, number, args)
        with psycopg.connect(dsn) as conn:
            stored = conn.execute(
                "SELECT provider, count(*) FROM webhook_events GROUP BY provider ORDER BY 1"
            ).fetchall()
        print_reports(targets, args)
        print(f"rows stored per provider: {dict(stored)}")
    finally:
        for target in targets:
            target.stop()
        if not args.keep_db:
            benchdb.drop(BENCH_DB)


if __name__ == "__main__":
    main()
