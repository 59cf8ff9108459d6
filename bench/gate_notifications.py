"""Gate notification latency, through the real queue and workers.

    .venv/bin/python bench/gate_notifications.py [--gates 30] [--interval 0.5] [--keep-db]

What it does (loopback only, bounded, stops by itself):
1. starts a real SMTP server (aiosmtpd) and a real HTTP receiver (chat webhook and orchestrator
   callbacks) on free ports, creates the database ``myloware_bench_gate_notify`` on the embedded
   server (dropped at the end unless --keep-db) and starts ``manage.py qcluster`` on it, the
   django-q2 cluster ``make run`` starts (ORM broker, 2 workers);
2. opens ``--gates`` gates in this process through ``runs.services.gate_open``, one every
   ``--interval`` seconds, then approves each of them the same way;
3. measures, per gate, from the service's return (the commit) to the arrival of: the opening's
   e-mail and chat post; the decision's "gate closed" e-mail and chat post; and, as the baseline
   in the same run, the orchestrator's decision callback (the same queue, the same workers, an
   HTTP POST like the chat post). Prints median, p95 and max in milliseconds, and checks that
   every message arrived exactly once.
"""

from __future__ import annotations

import argparse
import base64
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import benchdb  # noqa: E402
from tests.receivers import chat_receiver, smtp_server  # noqa: E402

BENCH_DB = "myloware_bench_gate_notify"
CHAT_PATH = "/services/T0BENCH/B0BENCH/benchChatSecret0123456789"
CALLBACK_PATH = "/orchestrator/gates"
WAIT_SECONDS = 120.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def configure(smtp_port: int, chat_port: int) -> dict[str, str]:
    """The environment of this process and of the workers: notifications and callbacks on."""
    settings = {
        "GATE_NOTIFY_EMAILS": "approvers@example.com",
        "GATE_NOTIFY_WEBHOOK_URLS": f"http://127.0.0.1:{chat_port}{CHAT_PATH}",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "CONSOLE_BASE_URL": "https://console.example.com",
        "ORCHESTRATOR_CALLBACK_URL": f"http://127.0.0.1:{chat_port}{CALLBACK_PATH}",
        "ORCHESTRATOR_CALLBACK_SECRET": "whsec_"
        + base64.b64encode(b"bench-callback-key-0123456789").decode(),
        "DEMO_PIPELINE_ENABLED": "0",
        "MYLOWARE_LOAD_DEV_ENV": "0",
        "LOG_LEVEL": "WARNING",
        # django-q2 signs queued tasks with it: this process and the workers share it.
        "SECRET_KEY": "bench-only-secret-key-" + uuid.uuid4().hex,
    }
    os.environ.update(settings)
    os.environ.pop("Q_SYNC", None)
    return settings


def start_workers(dsn: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in {"Q_SYNC", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        DJANGO_SETTINGS_MODULE="myloware.settings",
        DATABASE_URL=dsn,
        DEBUG="0",
    )
    return subprocess.Popen(  # noqa: S603
        [sys.executable, str(ROOT / "manage.py"), "qcluster"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=open(ROOT / "var" / "bench-gate-notify-workers.log", "wb"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def wait_until(what: str, done: object) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not done():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.02)


def open_running_gate() -> tuple[str, float]:
    from runs.models import RunStatus
    from runs.services import gate_open, run_create, run_transition

    run = run_create(project="bench", actor="api:bench")
    run_transition(run_id=run.run_id, to=RunStatus.RUNNING, actor="api:bench")
    gate_open(run_id=run.run_id, gate="ideate", actor="api:bench", artifact_ids=[])
    return run.run_id, time.time()


def approve(run_id: str) -> float:
    from runs.services import gate_decide

    gate_decide(run_id=run_id, gate="ideate", decision="approve", actor="admin:bench")
    return time.time()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--gates", type=int, default=30)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()

    with smtp_server() as smtp, chat_receiver() as chat:
        configure(smtp.port, chat.port)
        dsn = benchdb.use_for_django(BENCH_DB, recreate=True)
        workers = start_workers(dsn)
        try:
            warm_up, _ = open_running_gate()
            wait_until("the workers", lambda: any(warm_up in m.subject for m in smtp.mails))
            opened: dict[str, float] = {}
            for _ in range(args.gates):
                run_id, at = open_running_gate()
                opened[run_id] = at
                time.sleep(args.interval)
            decided = {}
            for run_id in opened:
                decided[run_id] = approve(run_id)
                time.sleep(args.interval)
            expected = 2 * args.gates + 1  # opened + closed of every gate, and the warm-up opened
            wait_until("every e-mail", lambda: len(smtp.mails) >= expected)
            wait_until("every chat post", lambda: len(chat.to(CHAT_PATH)) >= expected)
            wait_until("every callback", lambda: len(chat.to(CALLBACK_PATH)) >= args.gates)
            time.sleep(2)  # anything sent twice would arrive by now
        finally:
            stop(workers)
        report(args, opened, decided, smtp.mails, chat.posts)
    if not args.keep_db:
        benchdb.drop(BENCH_DB)


def report(args: argparse.Namespace, opened: dict, decided: dict, mails: list, posts: list) -> None:
    def arrivals(texts: list[tuple[str, float]], marker: str) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {run_id: [] for run_id in opened}
        for text, at in texts:
            for run_id in found:
                if run_id in text and marker in text:
                    found[run_id].append(at)
        return found

    emails = [(m.subject, m.at) for m in mails]
    chats = [(p.body.get("text", ""), p.at) for p in posts if p.path == CHAT_PATH]
    callbacks = [
        (p.body["data"]["run_id"] + " " + p.body["type"], p.at) for p in posts if p.path == CALLBACK_PATH
    ]
    rows = [
        ("opening → e-mail", arrivals(emails, "waits for a decision"), opened),
        ("opening → chat post", arrivals(chats, "waits for a decision"), opened),
        ("decision → e-mail", arrivals(emails, "was approved"), decided),
        ("decision → chat post", arrivals(chats, "was approved"), decided),
        ("decision → orchestrator callback (baseline)", arrivals(callbacks, "gate.approved"), decided),
    ]
    print(f"\n{args.gates} gates, one every {args.interval}s; qcluster (2 workers, ORM broker). ms:")
    print(f"{'path':<46}{'median':>9}{'p95':>9}{'max':>9}  once")
    medians = {}
    for name, found, start in rows:
        latencies = [(times[0] - start[run_id]) * 1000 for run_id, times in found.items() if times]
        once = all(len(times) == 1 for times in found.values())
        medians[name] = statistics.median(latencies)
        print(
            f"{name:<46}{medians[name]:>9.0f}{percentile(latencies, 0.95):>9.0f}{max(latencies):>9.0f}  "
            f"{'yes' if once else 'NO'}"
        )
    baseline = medians["decision → orchestrator callback (baseline)"]
    print(f"chat post ÷ callback (medians): {medians['decision → chat post'] / baseline:.2f}")


if __name__ == "__main__":
    main()
