"""A forged-webhook flood against the stack `make run` starts, with genuine deliveries beside it.

    .venv/bin/python bench/webhook_flood.py [--forged 200] [--size 1048576] [--flood-clients 4]
                                            [--genuine-rate 10] [--runs 20] [--keep-db]

What it does (loopback only, bounded, stops by itself), per phase:
1. creates a database ``myloware_bench_flood`` on the embedded server (recreated per phase,
   dropped at the end unless --keep-db), migrated, with ``--runs`` running runs;
2. starts ``python -m myloware.run`` — `make run` itself: supervisord, gunicorn, the webhook loops and
   the django-q2 cluster — with DEBUG off and that database (``DATABASE_URL``);
3. quiet: after a warm-up (a second of deliveries, processed), signed kie.ai callbacks at
   ``--genuine-rate`` per second for 5 s (the baseline);
4. flood: ``--forged`` bodies of ``--size`` random bytes (incompressible, in a JSON string) with a
   forged signature from one client address (127.0.0.2, ``--flood-clients`` connections, closed
   loop), while the genuine stream goes on from 127.0.0.1 at the same rate until the flood ends;
5. waits until every genuine event is processed and reports: the flood's answers, how much the
   database grew (pg_database_size, webhook_events with its TOAST, the WAL written), and for the
   genuine deliveries of both periods the HTTP latency and send → processed_at latency.

Phases: ``defaults`` (the product's failure limit and budget) and ``no-limit``
(WEBHOOK_FAILURE_LIMIT very high: every forged body is read, only the budget bounds what stays).
Processing is measured by the event rows' ``processed_at``, so the bench works whatever process
`make run` uses to process webhooks.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import benchdb  # noqa: E402
from bench.pipeline import KIEAI_SECRET, kieai  # noqa: E402
from bench.webhook_ingest import free_port, percentile  # noqa: E402

BENCH_DB = "myloware_bench_flood"
PYTHON = sys.executable
FORGER, GENUINE = "127.0.0.2", "127.0.0.1"
QUIET_SECONDS = 5.0
PROCESS_TIMEOUT = 60.0
PHASES = {"defaults": {}, "no-limit": {"WEBHOOK_FAILURE_LIMIT": "1000000"}}


def stack_env(dsn: str, port: int, data_dir: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"Q_SYNC", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        DJANGO_SETTINGS_MODULE="myloware.settings",
        DATABASE_URL=dsn,
        DEBUG="0",
        SECRET_KEY="bench-only-secret-key-" + uuid.uuid4().hex,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        # Plain HTTP on loopback: no TLS in front of this stack (cookies must travel over HTTP).
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        HOST="127.0.0.1",
        PORT=str(port),
        MYLOWARE_DATA_DIR=str(data_dir),
        MYLOWARE_LOAD_DEV_ENV="0",
        LOG_LEVEL="WARNING",
        WEBHOOK_SECRET_KIEAI=KIEAI_SECRET,
    )
    env.update(extra)
    return env


def prepare(runs: int) -> tuple[str, list[str]]:
    dsn = benchdb.create(BENCH_DB, recreate=True)
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "DJANGO_SETTINGS_MODULE": "myloware.settings",
        "SECRET_KEY": "x",
    }
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    run_ids = [f"run_flood_{index:03d}" for index in range(runs)]
    script = (
        "import django, sys; django.setup()\n"
        "from runs.services import run_create, run_transition\n"
        "for run_id in sys.argv[1:]:\n"
        "    run_create(project='aismr', run_id=run_id)\n"
        "    run_transition(run_id=run_id, to='running', actor='bench', reason='bench setup')\n"
    )
    subprocess.run([PYTHON, "-c", script, *run_ids], cwd=ROOT, env=env, check=True)
    return dsn, run_ids


@dataclass
class Stack:
    """``python -m myloware.run`` (make run) in a folder of its own."""

    dsn: str
    extra: dict[str, str]
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bench-flood-")))
    process: subprocess.Popen[bytes] | None = None
    base: str = ""
    port: int = 0  # a free one unless given (a proxy in front may need to know it first)

    def start(self) -> None:
        port = self.port or free_port()
        self.base = f"http://127.0.0.1:{port}"
        log = (self.folder / "make-run.log").open("wb")
        self.process = subprocess.Popen(  # noqa: S603
            [PYTHON, "-m", "myloware.run"],
            cwd=ROOT,
            env=stack_env(self.dsn, port, self.folder / "var", self.extra),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"make run exited: {(self.folder / 'make-run.log').read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.base}/admin/login/", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        raise SystemExit("make run did not answer within 120 s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)  # the supervisor stops its children
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def warm_up(base: str, run_ids: list[str], dsn: str) -> None:
    """A few genuine deliveries, processed, before anything is measured: the first ones pay for
    the processes' start (imports, connections, the webhook loops' first batches)."""
    stop = threading.Event()
    timer = threading.Timer(1.0, stop.set)
    timer.start()
    sent = genuine_stream(base, run_ids, "warm", 5.0, stop)
    processed_latencies(dsn, sent)


def forged_body(size: int) -> bytes:
    head, tail = b'{"type":"forged","pad":"', b'"}'
    pad = base64.b64encode(os.urandom(size)).decode()[: size - len(head) - len(tail)]
    return head + pad.encode() + tail


@dataclass
class Sent:
    key: str  # the event's idempotency key (kie.ai: taskId:code)
    sent_at: float
    seconds: float
    status: int


def genuine_stream(base: str, run_ids: list[str], tag: str, rate: float, stop: threading.Event) -> list[Sent]:
    """Signed kie.ai clips at ``rate`` per second (open loop) until ``stop`` is set."""
    sent: list[Sent] = []
    with httpx.Client(timeout=30, transport=httpx.HTTPTransport(local_address=GENUINE)) as client:
        start, number = time.monotonic(), 0
        while not stop.is_set():
            delay = start + number / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            path, body, headers = kieai(tag, run_ids[number % len(run_ids)], number // len(run_ids))
            at, began = time.time(), time.perf_counter()
            response = client.post(base + path, content=body, headers=headers)
            task_id = json.loads(body)["data"]["taskId"]
            sent.append(Sent(f"{task_id}:200", at, time.perf_counter() - began, response.status_code))
            number += 1
    return sent


def flood(base: str, count: int, size: int, clients: int) -> dict[int, int]:
    bodies = iter(range(count))
    lock, answers = threading.Lock(), {}
    body = forged_body(size)  # one random body, made unique per request below (same length)

    def worker() -> None:
        with httpx.Client(timeout=60, transport=httpx.HTTPTransport(local_address=FORGER)) as client:
            while True:
                with lock:
                    number = next(bodies, None)
                if number is None:
                    return
                unique = body[:-10] + f"{number:08d}".encode() + body[-2:]
                headers = {
                    "content-type": "application/json",
                    "webhook-id": f"forged-{number}",
                    "X-Webhook-Timestamp": str(int(time.time())),
                    "X-Webhook-Signature": base64.b64encode(os.urandom(32)).decode(),
                }
                status = client.post(
                    f"{base}/api/v1/webhooks/kieai", content=unique, headers=headers
                ).status_code
                with lock:
                    answers[status] = answers.get(status, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def sizes(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT pg_database_size(current_database()), pg_total_relation_size('webhook_events'), "
            "pg_current_wal_lsn() - '0/0'::pg_lsn"
        ).fetchone()
    assert row is not None
    return {"database": int(row[0]), "events": int(row[1]), "wal": int(row[2])}


def processed_latencies(dsn: str, sent: list[Sent]) -> tuple[list[float], int]:
    """send → processed_at of each accepted genuine delivery (seconds), waiting until all are."""
    keys = {s.key: s.sent_at for s in sent if s.status == 200}
    deadline = time.monotonic() + PROCESS_TIMEOUT
    with psycopg.connect(dsn, autocommit=True) as conn:
        while True:
            rows = conn.execute(
                "SELECT idempotency_key, extract(epoch FROM processed_at) FROM webhook_events "
                "WHERE provider = 'kieai' AND idempotency_key = ANY(%s) AND processed_at IS NOT NULL",
                [list(keys)],
            ).fetchall()
            if len(rows) == len(keys) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    return [float(at) - keys[key] for key, at in rows], len(keys) - len(rows)


def rejected_summary(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE payload_dropped_at IS NULL), "
            "coalesce(sum(octet_length(payload)), 0), coalesce(sum(payload_size), 0) "
            "FROM webhook_events WHERE status = 'rejected'"
        ).fetchone()
    assert row is not None
    return {"rows": row[0], "bodies_kept": row[1], "bytes_kept": int(row[2]), "bytes_received": int(row[3])}


def ms(values: list[float], q: float) -> str:
    return f"{percentile(values, q) * 1000:.0f}" if values else "—"


def run_phase(name: str, extra: dict[str, str], args: argparse.Namespace) -> dict[str, object]:
    dsn, run_ids = prepare(args.runs)
    stack = Stack(dsn, extra)
    stack.start()
    try:
        warm_up(stack.base, run_ids, dsn)
        stop = threading.Event()
        quiet: list[Sent] = []
        quiet_thread = threading.Thread(
            target=lambda: quiet.extend(genuine_stream(stack.base, run_ids, "quiet", args.genuine_rate, stop))
        )
        quiet_thread.start()
        time.sleep(QUIET_SECONDS)
        stop.set()
        quiet_thread.join()
        quiet_processed, quiet_missing = processed_latencies(dsn, quiet)
        before = sizes(dsn)
        stop = threading.Event()
        during: list[Sent] = []
        genuine_thread = threading.Thread(
            target=lambda: during.extend(
                genuine_stream(stack.base, run_ids, "flood", args.genuine_rate, stop)
            )
        )
        genuine_thread.start()
        began = time.perf_counter()
        answers = flood(stack.base, args.forged, args.size, args.flood_clients)
        flood_seconds = time.perf_counter() - began
        stop.set()
        genuine_thread.join()
        during_processed, during_missing = processed_latencies(dsn, during)
        after = sizes(dsn)
        rejected = rejected_summary(dsn)
    finally:
        stack.stop()
    return {
        "phase": name,
        "answers": answers,
        "flood_seconds": flood_seconds,
        "growth": {key: after[key] - before[key] for key in after},
        "rejected": rejected,
        "quiet": (quiet, quiet_processed, quiet_missing),
        "during": (during, during_processed, during_missing),
    }


def report(result: dict[str, object], args: argparse.Namespace) -> None:
    mib = 1024 * 1024
    growth = result["growth"]
    rejected = result["rejected"]
    assert isinstance(growth, dict) and isinstance(rejected, dict)
    print(
        f"\n== phase {result['phase']}: {args.forged} forged bodies of {args.size:,} bytes from {FORGER} "
        f"({args.flood_clients} connections) in {result['flood_seconds']:.1f} s; answers {result['answers']}"
    )
    print(
        f"   rejected rows {rejected['rows']}, bodies kept {rejected['bodies_kept']} "
        f"({rejected['bytes_kept'] / mib:.2f} MiB of {rejected['bytes_received'] / mib:.2f} MiB read)"
    )
    print(
        f"   growth during the flood: database {growth['database'] / mib:.2f} MiB, webhook_events "
        f"{growth['events'] / mib:.2f} MiB, WAL written {growth['wal'] / mib:.2f} MiB"
    )
    for label in ("quiet", "during"):
        sent, processed, missing = result[label]  # type: ignore[misc]
        http = [s.seconds for s in sent]
        bad = sum(1 for s in sent if s.status != 200)
        print(f"   genuine {label:<6}: {len(sent)} sent, {bad} not accepted, {missing} not processed; "
              f"HTTP p50/p99/max {ms(http, 50)}/{ms(http, 99)}/{ms(http, 100)} ms; "
              f"send→processed p50/p99/max {ms(processed, 50)}/{ms(processed, 99)}/{ms(processed, 100)} ms; "
              f"over 1 s: {sum(1 for v in processed if v > 1.0)}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--forged", type=int, default=200)
    parser.add_argument("--size", type=int, default=1024 * 1024)
    parser.add_argument("--flood-clients", type=int, default=4)
    parser.add_argument("--genuine-rate", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--phases", default=",".join(PHASES))
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    try:
        for name in args.phases.split(","):
            report(run_phase(name, PHASES[name], args), args)
    finally:
        if not args.keep_db:
            benchdb.drop(BENCH_DB)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
