"""A real `make run` (myloware.devserver) in a folder of its own, for the fault tests.

Everything is real: the supervisor, gunicorn, the watched django-q2 cluster and the embedded
PostgreSQL in ``<folder>/var/pgdata``. Webhooks go over HTTP to a ``token`` provider without a
handler (each valid event ends ``ignored``); the database is read directly through its socket.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg

# No Django here: bench/worker_faults.py uses this harness too.
BASE_DIR = Path(__file__).resolve().parents[2]
TOKEN = "fault-test-token-0123456789"
CLUSTER = "fault-test"
STALE_AFTER = 10


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def alive(pid: int) -> bool:
    """Running, not a zombie (where PID 1 does not reap orphans, killed ones linger as zombies)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_for(condition: Callable[[], Any], *, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {seconds} s")


class Devserver:
    def __init__(self, folder: Path, env: Mapping[str, str | None] | None = None) -> None:
        """``env`` overrides the test settings below (None: use the product's default)."""
        self.folder = folder
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = folder / "make-run.log"
        self.env = {
            **os.environ,
            "PORT": str(self.port),
            "MYLOWARE_DATA_DIR": str(folder / "var"),
            "MYLOWARE_LOAD_DEV_ENV": "0",
            "WEB_CONCURRENCY": "2",
            "Q_WORKERS": "2",
            "MYLOWARE_WORKER_NAME": CLUSTER,
            "WORKER_STALE_AFTER": str(STALE_AFTER),
            "WORKER_CANARY_SECONDS": "2",
            "WORKER_STOP_GRACE": "3",
            # A task whose result died with a killed worker is delivered again after Q_RETRY
            # (then skipped by the event's claim); short here, so the tests see it happen.
            "Q_TIMEOUT": "15",
            "Q_RETRY": "20",
            "WORKER_DB_RETRY_SECONDS": "10",
            "WEBHOOK_STANDARD_PROVIDERS": "faults",
            "WEBHOOK_SCHEME_FAULTS": "token",
            "WEBHOOK_SECRET_FAULTS": TOKEN,
        }
        for name in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "Q_SYNC"):
            self.env.pop(name, None)
        for name, value in (env or {}).items():
            if value is None:
                self.env.pop(name, None)
            else:
                self.env[name] = value
        self.process: subprocess.Popen[bytes] | None = None

    # --- life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "myloware.devserver"],
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(self.healthy, seconds=180, what="make run answering 200 on /healthz")

    def healthy(self) -> bool:
        assert self.process is not None and self.process.poll() is None, self.log.read_text()[-3000:]
        try:
            return httpx.get(f"{self.base}/healthz", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)

    def kill_leftovers(self) -> None:
        """Test clean-up only: whatever a failed test left behind, and the database."""
        if self.process is not None and self.process.poll() is None:
            for child in psutil.Process(self.process.pid).children(recursive=True):
                child.kill()
            self.process.kill()
            self.process.wait()
        subprocess.run(  # noqa: S603
            [sys.executable, "-c", "import sys; from pathlib import Path; from myloware.db import stop_embedded_server;"
             " stop_embedded_server(Path(sys.argv[1]))", str(self.pgdata)],
            cwd=BASE_DIR, check=False, timeout=60,
        )  # fmt: skip

    # --- processes ----------------------------------------------------------------------------

    @property
    def pgdata(self) -> Path:
        return self.folder / "var" / "pgdata"

    def child(self, marker: str) -> psutil.Process:
        assert self.process is not None
        for child in psutil.Process(self.process.pid).children():
            try:
                if any(marker in part for part in child.cmdline()):
                    return child
            except psutil.Error:  # a killed one, not reaped yet
                continue
        raise AssertionError(f"no child {marker!r} of make run")

    def workers_main(self) -> psutil.Process:
        return self.child("run_workers")

    def workers_main_pid(self) -> int | None:
        """None while the supervisor is between killing the workers and starting new ones."""
        try:
            return self.workers_main().pid
        except AssertionError:
            return None

    def group(self, leader: int) -> list[psutil.Process]:
        """Live processes whose process group is ``leader``'s (zombies do not count)."""
        members = []
        for process in psutil.process_iter(["pid"]):
            try:
                if os.getpgid(process.pid) == leader and process.status() != psutil.STATUS_ZOMBIE:
                    members.append(process)
            except (ProcessLookupError, psutil.NoSuchProcess):
                continue
        return members

    def postmaster_pid(self) -> int:
        return int((self.pgdata / "postmaster.pid").read_text().splitlines()[0])

    # --- database -----------------------------------------------------------------------------

    def sql(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        socket_dir = (self.pgdata / "postmaster.pid").read_text().splitlines()[4]
        with psycopg.connect(
            dbname="myloware",
            user="postgres",
            host=socket_dir,
            connect_timeout=5,
            autocommit=True,
        ) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def worker_pids(self) -> list[int]:
        """The live workers of the watched cluster (each writes its row when it starts)."""
        rows = self.sql(
            "SELECT pid FROM worker_heartbeats WHERE cluster = %s AND role = 'worker' ORDER BY pid",
            (CLUSTER,),
        )
        return [pid for (pid,) in rows if alive(pid)]

    def flowing(self) -> bool:
        try:
            health = httpx.get(f"{self.base}/healthz", timeout=5).json()
        except (httpx.TransportError, ValueError):
            return False
        clusters = health.get("workers", {}).get("clusters", [])
        return any(c["name"] == CLUSTER and c["flowing"] and c["workers"] == 2 for c in clusters)

    # --- webhooks -----------------------------------------------------------------------------

    def post_webhooks(self, count: int, *, threads: int = 4) -> list[str]:
        """POST ``count`` distinct deliveries; returns the ids of the accepted ones (200)."""
        accepted: list[str] = []
        lock = threading.Lock()
        batch = uuid.uuid4().hex

        def send(indexes: range) -> None:
            with httpx.Client(base_url=self.base, timeout=30) as client:
                for index in indexes:
                    response = client.post(
                        f"/api/v1/webhooks/faults?token={TOKEN}", json={"batch": batch, "n": index}
                    )
                    if response.status_code == 200 and response.json()["status"] == "accepted":
                        with lock:
                            accepted.append(response.json()["event_id"])

        senders = [threading.Thread(target=send, args=(range(i, count, threads),)) for i in range(threads)]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
        return accepted

    def post_in_background(self, count: int) -> tuple[threading.Thread, list[str]]:
        accepted: list[str] = []
        thread = threading.Thread(target=lambda: accepted.extend(self.post_webhooks(count)))
        thread.start()
        return thread, accepted

    def outcomes(self, event_ids: list[str]) -> dict[str, tuple[str, int, bool]]:
        """Per event: (status, attempts, has a dead-letter entry)."""
        rows = self.sql(
            "SELECT e.id::text, e.status, e.attempts, d.id IS NOT NULL FROM webhook_events e "
            "LEFT JOIN webhook_dlq d ON d.event_id = e.id WHERE e.id = ANY(%s::uuid[])",
            (event_ids,),
        )
        return {row[0]: (row[1], row[2], row[3]) for row in rows}

    def assert_each_processed_exactly_once(
        self, event_ids: list[str], *, seconds: float, drained: bool = True
    ) -> None:
        """Every accepted event ends handled once (status ``ignored``, one committed attempt) or
        in the dead-letter queue: none lost, none processed twice."""
        assert event_ids

        def settled() -> bool:
            return all(status != "received" for status, _, _ in self.outcomes(event_ids).values())

        wait_for(settled, seconds=seconds, what=f"all {len(event_ids)} accepted events processed")
        outcomes = self.outcomes(event_ids)
        assert len(outcomes) == len(set(event_ids))  # none lost
        wrong = {
            event: outcome
            for event, outcome in outcomes.items()
            if not (outcome[0] == "ignored" and outcome[1] == 1) and not outcome[2]
        }
        assert not wrong, wrong
        # And every task was acknowledged to the broker: nothing is left to be delivered again
        # (a canary or a scheduled job may be in flight).
        try:
            wait_for(
                lambda: self.sql("SELECT count(*) FROM django_q_ormq")[0][0] <= 2,
                seconds=seconds,
                what="drained",
            )
        except AssertionError:
            rows = self.sql("SELECT id, lock, now() FROM django_q_ormq ORDER BY id")
            raise AssertionError(f"broker queue not drained: {len(rows)} rows, e.g. {rows[:5]}") from None
        assert self.outcomes(event_ids) == outcomes
