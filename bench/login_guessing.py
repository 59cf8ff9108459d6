"""Password guessing against the console while providers deliver webhooks, on the stack `make run`
starts, behind the shipped nginx and without it: does a guessing loop starve the intake?

    .venv/bin/python bench/login_guessing.py [--rate 50] [--seconds 15] [--rounds 3] [--guessers 2]
                                             [--no-lockout-phase] [--keep-db]

What it does (loopback only, bounded, stops by itself):
1. creates ``myloware_bench_login`` on the embedded server (dropped at the end unless --keep-db);
2. starts ``python -m myloware.run`` (`make run`: its gunicorn with 2 sync workers, the
   production password hasher) with DEBUG off, a Standard-Webhooks provider ``bench``, and the
   operator login `make run` creates;
3. per round, alternating: ``quiet`` — signed deliveries at ``--rate`` per second for
   ``--seconds`` (open loop, latency from each delivery's scheduled time); ``guessing`` — the same
   while ``--guessers`` clients (127.0.0.2, 127.0.0.3, …; one process each, so the bench's own
   sender never waits for their GIL) guess the operator's password in closed loops as a browser
   would (GET the login page for its CSRF token, POST a wrong password);
4. does so twice: ``behind nginx`` — deploy/nginx/myloware.conf in front (TLS, the public side
   for the deliveries, the internal side for the guessers, on the private network here), as in
   production (docs/deploy.md); ``straight to gunicorn`` — no proxy, every request reaches the app;
5. with ``--no-lockout-phase``, a last phase straight to gunicorn restarted with
   LOGIN_FAILURE_LIMIT very high (no lockout: every guess runs the hasher).

Reports the intake's p50/p99 per phase (medians over rounds, per round in brackets), the ratio of
the guessing p99 to the quiet p99 (goal: ≤ 2), and the guessers' answers (200 = the form came
back after the hasher ran, 429 = refused without it).
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import re
import ssl
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import benchdb  # noqa: E402
from bench.webhook_flood import Stack  # noqa: E402
from bench.webhook_ingest import SECRET, delivery, free_port, percentile, send_all  # noqa: E402
from tests.servers import nginx  # noqa: E402

BENCH_DB = "myloware_bench_login"
PYTHON = sys.executable
ENV = {"WEBHOOK_STANDARD_PROVIDERS": "bench", "WEBHOOK_SECRET_BENCH": SECRET}
# Behind nginx, as docs/deploy.md configures the app (client addresses and https from the proxy).
PROXIED = {"TRUSTED_PROXY_COUNT": "1", "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto,https"}


@dataclass
class Target:
    """Where the deliveries and the guesses go, and the certificate to trust (None: plain HTTP)."""

    intake: str
    login: str
    cafile: str | None = None

    def verify(self) -> ssl.SSLContext | bool:
        return ssl.create_default_context(cafile=self.cafile) if self.cafile else True


def guess(target: Target, address: str, stop: Any, answers: Any) -> None:
    """One guessing client (its own process: the bench's sender threads must not wait for its GIL)."""
    counted: dict[int, int] = {}
    base = target.login
    transport = httpx.HTTPTransport(local_address=address, verify=target.verify())
    with httpx.Client(base_url=base, timeout=120, transport=transport) as client:
        number = 0
        while not stop.is_set():
            page = client.get("/admin/login/")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
            form = {
                "username": "operator",
                "password": f"guess-{address}-{number}",
                "csrfmiddlewaretoken": token.group(1) if token else "",
            }
            status = client.post(
                "/admin/login/", data=form, headers={"Referer": f"{base}/admin/login/"}
            ).status_code
            counted[status] = counted.get(status, 0) + 1
            number += 1
    answers.put(counted)


def intake(target: Target, tag: str, rate: float, seconds: float) -> list[float]:
    count = int(rate * seconds)
    items = [(f"{target.intake}/api/v1/webhooks/bench", *delivery(index, tag)) for index in range(count)]
    result = send_all(items, concurrency=4, rate=rate, verify=target.verify())
    if result.accepted != count:
        print(f"  {tag}: only {result.accepted} of {count} accepted: {result.other}")
    return result.latencies


def phase(
    target: Target, tag: str, args: argparse.Namespace, guessers: int
) -> tuple[list[float], dict[int, int]]:
    stop, results = multiprocessing.Event(), multiprocessing.Queue()
    processes = [
        multiprocessing.Process(target=guess, args=(target, f"127.0.0.{2 + n}", stop, results))
        for n in range(guessers)
    ]
    for process in processes:
        process.start()
    if guessers:
        time.sleep(1.0)  # the guessing is under way before the deliveries start
    latencies = intake(target, tag, args.rate, args.seconds)
    stop.set()
    answers: dict[int, int] = {}
    for _ in processes:
        for status, n in results.get(timeout=120).items():
            answers[status] = answers.get(status, 0) + n
    for process in processes:
        process.join()
    return latencies, answers


def ms(values: list[float], q: float) -> float:
    return percentile(values, q) * 1000


def run_stack(
    extra: dict[str, str], rounds: int, args: argparse.Namespace, label: str, proxied: bool
) -> dict[str, list]:
    dsn = benchdb.create(BENCH_DB, recreate=True)
    folder = Path(tempfile.mkdtemp(prefix="bench-login-"))
    port = free_port()
    results: dict[str, list] = {"quiet": [], "guessing": []}
    with contextlib.ExitStack() as running:
        if proxied:
            # The guessers' addresses are the private network here; the stack learns nginx's origin.
            site = running.enter_context(nginx(f"127.0.0.1:{port}", folder, allow="127.0.0.0/8"))
            extra = {**extra, **PROXIED, "CSRF_TRUSTED_ORIGINS": site.internal}
            target = Target(site.public, site.internal, str(folder / "cert.pem"))
        else:
            target = Target(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}")
        stack = Stack(dsn, {**ENV, **extra}, folder=folder, port=port)
        running.callback(stack.stop)
        stack.start()
        intake(target, f"{label}warm", args.rate, 2)
        for number in range(rounds):
            for name, guessers in (("quiet", 0), ("guessing", args.guessers)):
                latencies, answers = phase(target, f"{label}{name}{number}", args, guessers)
                results[name].append((ms(latencies, 50), ms(latencies, 99), answers))
                print(
                    f"  {label} round {number + 1} {name:<8}: p50 {ms(latencies, 50):6.1f} ms, "
                    f"p99 {ms(latencies, 99):6.1f} ms; guessers' answers {answers}",
                    flush=True,
                )
    return results


def summary(label: str, results: dict[str, list]) -> None:
    quiet_p99 = [p99 for _, p99, _ in results["quiet"]]
    guess_p99 = [p99 for _, p99, _ in results["guessing"]]
    quiet_p50 = [p50 for p50, _, _ in results["quiet"]]
    guess_p50 = [p50 for p50, _, _ in results["guessing"]]
    answers: dict[int, int] = {}
    for *_, counted in results["guessing"]:
        for status, n in counted.items():
            answers[status] = answers.get(status, 0) + n
    ratio = statistics.median(guess_p99) / statistics.median(quiet_p99)
    print(
        f"{label}: quiet p50/p99 {statistics.median(quiet_p50):.1f}/{statistics.median(quiet_p99):.1f} ms "
        f"{[round(v, 1) for v in quiet_p99]}; guessing p50/p99 {statistics.median(guess_p50):.1f}/"
        f"{statistics.median(guess_p99):.1f} ms {[round(v, 1) for v in guess_p99]}; p99 ratio {ratio:.2f} "
        f"(goal ≤ 2); guessers' answers {answers}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--guessers", type=int, default=2)
    parser.add_argument("--no-lockout-phase", action="store_true")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    try:
        outcome = {
            "behind nginx (the deployment)": run_stack({}, args.rounds, args, "nginx", proxied=True),
            "straight to gunicorn": run_stack({}, args.rounds, args, "direct", proxied=False),
        }
        if args.no_lockout_phase:
            outcome["straight, no lockout (LOGIN_FAILURE_LIMIT=1000000)"] = run_stack(
                {"LOGIN_FAILURE_LIMIT": "1000000"}, 1, args, "nolock", proxied=False
            )
    finally:
        if not args.keep_db:
            benchdb.drop(BENCH_DB)
    print()
    for label, results in outcome.items():
        summary(label, results)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
