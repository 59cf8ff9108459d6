"""End-to-end webhook benchmark: from a signed delivery to its effect on the run, `make run` as is.

    .venv/bin/python bench/pipeline.py [--runs 200] [--burst 2000] [--concurrency 16]
                                       [--rate 100] [--steady-seconds 10] [--rounds 2]
                                       [--designs here=HEAD] [--keep-db]

The baseline is the intake in the same run: processing keeps up when the processing rate equals
the accepted rate and a burst is drained as soon as it has been accepted (drain ÷ accept ≈ 1).
``--designs a=REV1,b=REV2`` compares any revisions that have ``myloware/run.py``, alternating.

What it does (loopback only, bounded, stops by itself):
1. per design ``label=revision`` — ``HEAD`` is this checkout, any other revision is checked out
   in a temporary ``git worktree`` under ``var/`` (removed at the end) and run with this
   virtualenv — starts (or attaches to) the embedded PostgreSQL and creates a database of its own
   ``myloware_bench_pipeline_<label>``, migrated by that design's code, with ``--runs`` running
   runs (dropped at the end unless --keep-db);
2. per round and design (designs alternate within a round, so the machine's other load hits
   them alike) it starts that design's ``make run`` as it is — ``python -m myloware.run``
   (supervisord: gunicorn, the webhook loops, the django-q2 cluster) — with ``DATABASE_URL``, a
   free ``PORT``, ``DEBUG=0``, everything else at its defaults; then:
   - warm-up: one callback per run;
   - burst: ``--burst`` signed callbacks (per run: kie.ai clips and one Shotstack render),
     ``--concurrency`` client threads, closed loop; waits until every event is processed;
   - steady: ``--rate`` deliveries/s for ``--steady-seconds`` (open loop), then waits again;
3. reads the stored timestamps (``webhook_events.received_at`` → ``processed_at``) and prints
   intake rate, processing rate, accept→processed latency p50/p99 and the burst's drain time
   (first request sent → last event processed) against its accept time; medians over rounds.

Every event must end ``processed`` with one attempt: the script reports any that did not ("bad").
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import benchdb  # noqa: E402
from bench.webhook_ingest import Result, free_port, percentile, send_all  # noqa: E402

BENCH_DB = "myloware_bench_pipeline"
KIEAI_SECRET = "bench-kieai-secret-0123456789"
SHOTSTACK_TOKEN = "bench-shotstack-token-0123456789"
PYTHON = sys.executable
DRAIN_TIMEOUT = 300.0


@dataclass
class Design:
    """A version of the product: its checkout, its database, its `make run`."""

    label: str
    revision: str
    checkout: Path
    dsn: str = ""

    @property
    def make_run(self) -> list[str]:
        return [PYTHON, "-m", "myloware.run"]

    def env(self, port: int, data_dir: Path) -> dict[str, str]:
        env = {
            name: value
            for name, value in os.environ.items()
            if name not in {"Q_SYNC", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "PYTHONPATH"}
        }
        env.update(
            DJANGO_SETTINGS_MODULE="myloware.settings",
            DATABASE_URL=self.dsn,
            PORT=str(port),
            MYLOWARE_DATA_DIR=str(data_dir),
            DEBUG="0",
            SECURE_SSL_REDIRECT="0",  # plain HTTP on loopback
            MYLOWARE_LOAD_DEV_ENV="0",
            SECRET_KEY="bench-only-secret-key-" + uuid.uuid4().hex,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            LOG_LEVEL="WARNING",
            WEBHOOK_SECRET_KIEAI=KIEAI_SECRET,
            WEBHOOK_SECRET_SHOTSTACK=SHOTSTACK_TOKEN,
        )
        return env


def has_make_run(revision: str) -> bool:
    found = subprocess.run(
        ["git", "cat-file", "-e", f"{revision}:myloware/run.py"], cwd=ROOT, capture_output=True, check=False
    )
    return found.returncode == 0


def checkout(label: str, revision: str, worktrees: Path) -> Design:
    if revision == "HEAD":
        return Design(label, revision, ROOT)
    path = worktrees / label
    subprocess.run(["git", "worktree", "add", "--detach", str(path), revision], cwd=ROOT, check=True)
    return Design(label, revision, path)


def prepare_database(design: Design, runs: int) -> list[str]:
    name = f"{BENCH_DB}_{design.label}"
    design.dsn = benchdb.create(name, recreate=True)
    env = design.env(0, ROOT / "var")
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=design.checkout, env=env, check=True
    )
    run_ids = [f"run_pipe_{index:04d}" for index in range(runs)]
    script = (
        "import django, sys; django.setup()\n"
        "from runs.services import run_create, run_transition\n"
        "for run_id in sys.argv[1:]:\n"
        "    run_create(project='aismr', run_id=run_id)\n"
        "    run_transition(run_id=run_id, to='running', actor='bench', reason='bench setup')\n"
    )
    subprocess.run([PYTHON, "-c", script, *run_ids], cwd=design.checkout, env=env, check=True)
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


# --- one design's make run --------------------------------------------------------------------


class MakeRun:
    def __init__(self, design: Design) -> None:
        self.design = design
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.data_dir = Path(tempfile.mkdtemp(prefix="bench-make-run-", dir=ROOT / "var"))
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            self.design.make_run,
            cwd=self.design.checkout,
            env=self.design.env(self.port, self.data_dir),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.design.label}: make run exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        raise SystemExit(f"{self.design.label}: /healthz not 200 within 180 s")

    def stop(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        finally:
            # Whatever is left in its group (nothing, if its stop keeps its promise).
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            shutil.rmtree(self.data_dir, ignore_errors=True)


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
    server: MakeRun,
    tag: str,
    items: list[tuple[str, bytes, dict[str, str]]],
    args: argparse.Namespace,
    rate: float | None,
) -> Phase:
    started_at = time.time()
    urls = [(server.base_url + path, body, headers) for path, body, headers in items]
    result = send_all(urls, args.concurrency, rate)
    wait_processed(server.design.dsn, tag, result.accepted)
    return measure(server.design.dsn, tag, started_at, result)


# --- report -----------------------------------------------------------------------------------


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def print_report(
    designs: list[Design], results: dict[str, dict[str, list[Phase]]], args: argparse.Namespace
) -> None:
    print(
        f"\n{args.rounds} alternating rounds; burst: {args.burst} callbacks over {args.runs} runs, "
        f"{args.concurrency} client threads; steady: {args.rate:g}/s for {args.steady_seconds:g} s. "
        "Medians over rounds (per-round values in brackets)."
    )
    header = (
        f"{'design':<14} {'burst intake/s':>14} {'processing/s':>12} {'ratio':>6} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'accept s':>8} {'drain s':>8} {'drain/accept':>12} | {'steady p50 ms':>13} {'p99 ms':>8}  bad"
    )
    print(header)
    print("-" * len(header))
    for design in designs:
        burst, steady = results[design.label]["burst"], results[design.label]["steady"]
        ratios = [b.processing_rate / b.intake_rate for b in burst]
        drains = [b.drain_seconds / b.accept_seconds for b in burst]
        bad = sum(p.not_processed + p.reattempted + (p.sent - p.accepted) for p in burst + steady)
        print(
            f"{design.label:<14} {med([b.intake_rate for b in burst]):>14.0f} "
            f"{med([b.processing_rate for b in burst]):>12.0f} {med(ratios):>6.2f} "
            f"{med([b.p50 for b in burst]) * 1000:>8.0f} {med([b.p99 for b in burst]) * 1000:>8.0f} "
            f"{med([b.accept_seconds for b in burst]):>8.1f} {med([b.drain_seconds for b in burst]):>8.1f} "
            f"{med(drains):>12.2f} | {med([s.p50 for s in steady]) * 1000:>13.0f} "
            f"{med([s.p99 for s in steady]) * 1000:>8.0f}  {bad}"
        )
        print(
            f"{'':<14} {design.revision}: processing/intake [{', '.join(f'{r:.2f}' for r in ratios)}], drain/accept "
            f"[{', '.join(f'{d:.2f}' for d in drains)}], steady p50/p99 ms "
            f"[{', '.join(f'{s.p50 * 1000:.0f}/{s.p99 * 1000:.0f}' for s in steady)}]"
        )
    print(
        "\ngoals: processing/intake >= 0.9; burst drain <= 1.5 x accept; steady p50 < 50 ms, p99 < 250 ms; "
        "bad = not accepted + not processed + processed more than once (must be 0)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--steady-seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--designs",
        default="here=HEAD",
        help="label=revision, comma-separated; HEAD is this checkout (default: this checkout alone, "
        "measured against its own intake)",
    )
    parser.add_argument("--keep-db", action="store_true", help="Keep the bench databases afterwards")
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
    specs = [spec.strip().partition("=") for spec in args.designs.split(",")]
    if any(not label.isidentifier() or not revision for label, _, revision in specs):
        raise SystemExit("--designs: label=revision, comma-separated (labels: letters, digits, _)")
    for label, _, revision in specs:
        if not has_make_run(revision):
            raise SystemExit(f"--designs {label}={revision}: no such revision, or it has no myloware/run.py")
    (ROOT / "var").mkdir(exist_ok=True)
    worktrees = Path(tempfile.mkdtemp(prefix="bench-designs-", dir=ROOT / "var"))
    designs = [checkout(label, revision, worktrees) for label, _, revision in specs]
    results: dict[str, dict[str, list[Phase]]] = {d.label: {"burst": [], "steady": []} for d in designs}
    try:
        run_ids = {design.label: prepare_database(design, args.runs) for design in designs}
        for number in range(args.rounds):
            for design in designs:
                server = MakeRun(design)
                phases = results[design.label]
                server.start()
                try:
                    tag = f"b{number}{design.label}{uuid.uuid4().hex[:4]}"
                    warm = f"w{tag}"
                    runs = run_ids[design.label]
                    run_phase(server, warm, deliveries(warm, runs, args.runs), args, None)
                    phases["burst"].append(
                        run_phase(server, tag, deliveries(tag, runs, args.burst), args, None)
                    )
                    steady_tag = f"s{tag}"
                    steady = deliveries(steady_tag, runs, int(args.rate * args.steady_seconds))
                    phases["steady"].append(run_phase(server, steady_tag, steady, args, args.rate))
                finally:
                    server.stop()
                burst = phases["burst"][-1]
                print(
                    f"round {number} {design.label}: burst {burst.intake_rate:.0f}/s in, "
                    f"{burst.processing_rate:.0f}/s processed, drain {burst.drain_seconds:.1f} s / accept "
                    f"{burst.accept_seconds:.1f} s; steady p50 {phases['steady'][-1].p50 * 1000:.0f} ms "
                    f"p99 {phases['steady'][-1].p99 * 1000:.0f} ms",
                    flush=True,
                )
        print_report(designs, results, args)
    finally:
        if not args.keep_db:
            for design in designs:
                benchdb.drop(f"{BENCH_DB}_{design.label}")
        for design in designs:
            if design.checkout != ROOT:
                subprocess.run(
                    ["git", "worktree", "remove", "--force", str(design.checkout)], cwd=ROOT, check=False
                )
        shutil.rmtree(worktrees, ignore_errors=True)


if __name__ == "__main__":
    main()
