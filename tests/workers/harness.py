"""A real `make run` (``python -m myloware.run``: supervisord and everything it runs) in a folder of
its own, for the fault tests and bench/worker_faults.py.

Everything is real: supervisord, the embedded PostgreSQL in the foreground, gunicorn, the webhook
loop, the django-q2 cluster and the event listener. Webhooks go over HTTP to a ``token`` provider
without a handler (each valid event ends ``ignored``); one-off django-q2 jobs are knowledge-base
documents posted through the API (each queues an embedding job); the database is read directly
through its socket.
"""

from __future__ import annotations

import contextlib
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
# Short bounds, so that a fault shows within seconds (the product's defaults: 120 / 180 / 180 / 30 s).
# HEALTH_MAX_LAG stays above the 20 s database outage the tests cause: the schedules due meanwhile
# are late by that much, and a later bound would have the cluster restarted for it.
TEST_ENV = {
    "Q_TIMEOUT": "8",
    "Q_RETRY": "12",
    "HEALTH_MAX_LAG": "25",
    "WEBHOOK_LOOP_DB_TIMEOUT": "10",
}


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


class MakeRun:
    def __init__(self, folder: Path, env: Mapping[str, str | None] | None = None) -> None:
        """``env`` overrides TEST_ENV and the rest below (None: the product's default)."""
        self.folder = folder
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = folder / "make-run.log"
        self.env = {
            **os.environ,
            **TEST_ENV,
            "PORT": str(self.port),
            "MYLOWARE_DATA_DIR": str(folder / "var"),
            "MYLOWARE_LOAD_DEV_ENV": "0",
            "WEB_CONCURRENCY": "2",
            "Q_WORKERS": "2",
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
        self.api_key = ""

    # --- life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        # Appending: supervisord and its programs each open the log as their stdout.
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "myloware.run"], cwd=BASE_DIR, env=self.env, stdout=log, stderr=log
            )
        wait_for(self.healthy, seconds=180, what="make run answering 200 on /healthz")

    def healthy(self) -> bool:
        return self.health()[0] == 200

    def health(self) -> tuple[int, list[str]]:
        """/healthz as an anonymous caller sees it: the status and the failing parts."""
        assert self.process is not None and self.process.poll() is None, self.log.read_text()[-3000:]
        try:
            response = httpx.get(f"{self.base}/healthz", timeout=5)
        except httpx.TransportError:
            return 0, []
        return response.status_code, response.json().get("failing", [])

    def stop(self) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)

    def kill_leftovers(self) -> None:
        """Test clean-up only: whatever a failed test left behind, and the database."""
        if self.process is not None and self.process.poll() is None:
            for child in psutil.Process(self.process.pid).children(recursive=True):
                with contextlib.suppress(psutil.NoSuchProcess):
                    child.kill()
            self.process.kill()
            self.process.wait()
        for process in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        subprocess.run(  # noqa: S603
            [sys.executable, "-c", "import sys; from pathlib import Path; from myloware.db import stop_embedded_server;"
             " stop_embedded_server(Path(sys.argv[1]))", str(self.pgdata)],
            cwd=BASE_DIR, check=False, timeout=60,
        )  # fmt: skip

    def processes(self) -> list[psutil.Process]:
        """Every live process of this instance, whoever its parent now is (found by its data folder
        in its environment or command line)."""
        found = []
        for process in psutil.process_iter(["cmdline", "environ"]):
            try:
                if process.status() == psutil.STATUS_ZOMBIE:
                    continue
                data_dir = (process.info["environ"] or {}).get("MYLOWARE_DATA_DIR", "")
                if data_dir == self.env["MYLOWARE_DATA_DIR"] or str(self.pgdata) in " ".join(
                    process.info["cmdline"] or []
                ):
                    found.append(process)
            except psutil.Error:
                continue
        return found

    # --- processes ----------------------------------------------------------------------------

    @property
    def pgdata(self) -> Path:
        return self.folder / "var" / "pgdata"

    def programs(self, marker: str) -> list[psutil.Process]:
        """The supervisord programs whose command line contains ``marker`` (the webhook loop runs
        twice by default)."""
        assert self.process is not None
        found = []
        for child in psutil.Process(self.process.pid).children():
            try:
                if any(marker in part for part in child.cmdline()):
                    found.append(child)
            except psutil.Error:  # a killed one, not reaped yet
                continue
        return found

    def program(self, marker: str) -> psutil.Process:
        found = self.programs(marker)
        assert found, f"no program {marker!r} under supervisord"
        return found[0]

    def program_pid(self, marker: str) -> int | None:
        """None while supervisord is between the death of a program and its new start."""
        try:
            return self.program(marker).pid
        except AssertionError:
            return None

    def sentinel(self) -> psutil.Process:
        [sentinel] = self.program("qcluster").children()
        return sentinel

    def ready(self) -> bool:
        """/healthz is 200 and the qcluster program has its sentinel, the sentinel its workers,
        monitor and pusher. After a restart of the cluster /healthz is 200 before the pool is
        there: the schedules' lag is still within bounds while the new sentinel spawns it."""
        if not self.healthy():
            return False
        try:
            [sentinel] = self.program("qcluster").children()
            pool = [process for process in sentinel.children() if process.status() != psutil.STATUS_ZOMBIE]
        except (AssertionError, ValueError, psutil.Error):
            return False
        return len(pool) == int(self.env["Q_WORKERS"]) + 2

    def cluster_pool(self) -> list[psutil.Process]:
        """Everything the sentinel runs: django-q2's workers, its monitor and its pusher (they look
        alike from outside; killing them all surely kills the idle worker that holds the task
        queue's read lock)."""
        return self.sentinel().children()

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

    def supervisorctl(self, *args: str) -> str:
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "supervisor.supervisorctl", "-c", str(self.folder / "var" / "supervisord.conf"), *args],
            cwd=BASE_DIR, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        return result.stdout

    # --- database -----------------------------------------------------------------------------

    def sql(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        socket_dir = (self.pgdata / "postmaster.pid").read_text().splitlines()[4]
        with psycopg.connect(
            dbname="myloware", user="postgres", host=socket_dir, connect_timeout=5, autocommit=True
        ) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def manage(self, *args: str) -> str:
        """A management command on this instance's database (a process of its own)."""
        socket_dir = (self.pgdata / "postmaster.pid").read_text().splitlines()[4]
        env = {**self.env, "DATABASE_URL": f"postgresql://postgres@/myloware?host={socket_dir}"}
        result = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True,
            timeout=120, check=True,
        )  # fmt: skip
        return result.stdout

    # --- webhooks -----------------------------------------------------------------------------

    def post_webhooks(self, count: int, *, threads: int = 4) -> list[str]:
        """POST ``count`` distinct deliveries; returns the ids of the accepted ones (200)."""
        accepted: list[str] = []
        lock = threading.Lock()
        batch = uuid.uuid4().hex

        def send(indexes: range) -> None:
            with httpx.Client(base_url=self.base, timeout=30) as client:
                for index in indexes:
                    try:
                        response = client.post(
                            f"/api/v1/webhooks/faults?token={TOKEN}", json={"batch": batch, "n": index}
                        )
                    except httpx.TransportError:
                        continue  # not accepted (the sender would retry)
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

    def assert_each_processed_exactly_once(self, event_ids: list[str], *, seconds: float = 60) -> None:
        """Every accepted event ends handled once (status ``ignored``, one committed attempt):
        none lost, none processed twice."""
        assert event_ids

        def settled() -> bool:
            try:
                return all(status != "received" for status, _, _ in self.outcomes(event_ids).values())
            except psycopg.Error:
                return False  # the database is coming back

        wait_for(settled, seconds=seconds, what=f"all {len(event_ids)} accepted events processed")
        outcomes = self.outcomes(event_ids)
        assert len(outcomes) == len(set(event_ids))  # none lost
        wrong = {event: outcome for event, outcome in outcomes.items() if outcome != ("ignored", 1, False)}
        assert not wrong, wrong

    # --- one-off django-q2 jobs ---------------------------------------------------------------

    def post_documents(self, count: int) -> list[str]:
        """POST ``count`` knowledge-base documents: each queues an embedding job (django-q2)."""
        if not self.api_key:
            self.api_key = self.manage(
                "create_api_key", f"faults-{uuid.uuid4().hex[:8]}", "--scope", "kb:write"
            )
            self.api_key = self.api_key.strip().splitlines()[-1]
        paths = []
        with httpx.Client(base_url=self.base, timeout=30, headers={"X-API-Key": self.api_key}) as client:
            for _ in range(count):
                path = f"faults/{uuid.uuid4().hex}.md"
                response = client.post(
                    "/api/v1/kb/documents",
                    json={"path": path, "content": f"# {path}\n\nA job for the cluster."},
                )
                assert response.status_code in (200, 201), response.text
                paths.append(path)
        return paths

    def embedded(self, paths: list[str]) -> bool:
        rows = self.sql(
            "SELECT bool_and(embedded_at IS NOT NULL) FROM kb_documents WHERE path = ANY(%s)", (paths,)
        )
        return bool(rows and rows[0][0])
