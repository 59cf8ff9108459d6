"""``manage.py run_workers``: a django-q2 cluster, watched from its own main process.

What it adds to django-q2's ``qcluster`` (each a workaround for a known defect, docs/operations.md):

- Heartbeats: workers stamp a row when tasks go through them, and this process queues a tiny
  canary task every WORKER_CANARY_SECONDS, so "tasks flow" is visible even when the cluster is
  idle. A cluster wedged by django-q2 issue #23/#339 (a worker killed while holding the task
  queue's lock: every other worker waits forever) stops beating; supervisors act on that
  (``make run``'s, systemd's watchdog through sd_notify, a Kubernetes probe on ``check_workers``).
- A stop that cannot deadlock (django-q2 #346: its signal handler calls ``stop_event.set()`` and
  ``join()`` in signal context): our handler only sets a flag; the main loop stops the sentinel
  and, after WORKER_STOP_GRACE seconds, kills every process of the cluster.
- The sentinel dying (or being killed) ends this process with status 1 after its workers are
  killed (on Linux this process is their subreaper, so they stay its descendants), so no orphan
  keeps a claimed task and the supervisor starts a fresh cluster.
- Workers check their database connection before each task (CONN_HEALTH_CHECKS), so a task
  after a database restart reconnects instead of failing on a dead connection.
- The repair jobs (``REPAIR_JOBS``) run here, in threads, not as tasks of the cluster they repair.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import sys
import threading
import time
from typing import Any

import psutil
from django import db
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.cluster import Cluster

from myloware.workers import heartbeat
from myloware.workers.jobs import declared_jobs
from myloware.workers.selectors import cluster_health
from myloware.workers.services import CANARY_TASK, canary_enqueue, heartbeats_prune, heartbeats_reset

logger = logging.getLogger(__name__)
TICK_SECONDS = 0.5
PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h


def sd_notify(message: str) -> None:
    """Tell systemd (Type=notify, WatchdogSec=) about us; a no-op when not started by it."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return
    if address.startswith("@"):
        address = "\0" + address[1:]  # abstract namespace socket
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.sendto(message.encode(), address)


def become_subreaper() -> None:
    """Linux: processes orphaned below us (the sentinel's workers, if it dies) are re-parented
    to this process rather than to PID 1, so we still find, kill and reap them."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _running(process: psutil.Process) -> bool:
    """Alive, not a zombie: a killed worker the sentinel has not reaped yet is dead, and its
    heartbeat row must go (psutil's is_running() is true for zombies)."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class QuietCanaries(logging.Filter):
    """Keep django-q2's three INFO lines per canary (every few seconds) out of the log."""

    def __init__(self) -> None:
        super().__init__()
        self.main_pid = os.getpid()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if CANARY_TASK in message:
            return False
        # In the main process only canaries are queued (workers' own "Enqueued" lines stay).
        return not (os.getpid() == self.main_pid and message.startswith("Enqueued"))


class WorkerRunner:
    def __init__(self, cluster: str) -> None:
        self.cluster = cluster
        self.stop_requested = False
        self.family: dict[int, psutil.Process] = {}
        self.last_canary = 0.0
        self.released: set[int] = set()
        self.started = time.monotonic()

    def run(self) -> int:
        become_subreaper()
        # Before the fork, so every worker inherits both.
        settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        heartbeat.watch(self.cluster)
        logging.getLogger("django-q").addFilter(QuietCanaries())
        heartbeats_reset(cluster=self.cluster)
        db.connections.close_all()
        q_cluster = Cluster()
        # Replace django-q2's handlers (#346): only a flag is set in signal context.
        signal.signal(signal.SIGTERM, self._request_stop)
        signal.signal(signal.SIGINT, self._request_stop)
        q_cluster.start()
        logger.info("workers of cluster %r running (main process %d)", self.cluster, os.getpid())
        for job in declared_jobs("REPAIR_JOBS"):
            threading.Thread(target=self._repair_loop, args=(job,), name=job["name"], daemon=True).start()
        sd_notify("READY=1")
        while not self.stop_requested:
            self._remember_family()
            if not q_cluster.sentinel.is_alive():
                logger.error("the django-q2 sentinel of %r died; killing its workers", self.cluster)
                self._kill_family()
                return 1
            self._tick()
            time.sleep(TICK_SECONDS)
        return self._stop(q_cluster)

    def _request_stop(self, signum: int, frame: object) -> None:
        self.stop_requested = True

    def _remember_family(self) -> None:
        # Remembered while the tree is intact: if the sentinel dies, its workers are re-parented
        # (to us where we are a subreaper, else to PID 1), and we still know and can kill them.
        for process in psutil.Process().children(recursive=True):
            self.family.setdefault(process.pid, process)
        self.family = {pid: p for pid, p in self.family.items() if _running(p)}

    def _kill_family(self) -> None:
        self._remember_family()  # orphans of a dead sentinel are our children (subreaper)
        alive = [p for p in self.family.values() if p.is_running()]
        for process in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        psutil.wait_procs(alive, timeout=5)

    def _tick(self) -> None:
        """Prune dead workers' rows, queue a canary, ping systemd's watchdog while work flows."""
        now = time.monotonic()
        try:
            released = heartbeats_prune(
                cluster=self.cluster, live_pids=list(self.family), keep_locked=self.released
            )
            if released:
                logger.warning(
                    "a worker of %r died in a task; broker rows %s are queued again", self.cluster, released
                )
                self.released.update(released)
            if now - self.last_canary >= settings.WORKER_CANARY_SECONDS:
                canary_enqueue(cluster=self.cluster)
                self.last_canary = now
            flowing = cluster_health(cluster=self.cluster).flowing
        except db.DatabaseError as exc:
            logger.warning("workers of %r cannot reach the database: %s", self.cluster, exc)
            db.connections.close_all()
            return
        starting = now - self.started < settings.WORKER_STALE_AFTER
        if flowing or starting:
            sd_notify("WATCHDOG=1")

    def _repair_loop(self, job: dict[str, Any]) -> None:
        func = import_string(job["func"])
        while not self.stop_requested:
            db.close_old_connections()
            try:
                result = func()
                # Frequent jobs (the processor wake, every 2 s) log only when they did something.
                logger.log(
                    logging.INFO if result else logging.DEBUG, "repair job %s: %s", job["name"], result
                )
            except Exception:
                logger.exception("repair job %s failed; next run in %s s", job["name"], job["seconds"])
                db.connections.close_all()
            deadline = time.monotonic() + job["seconds"]
            while not self.stop_requested and time.monotonic() < deadline:
                time.sleep(TICK_SECONDS)

    def _stop(self, q_cluster: Cluster) -> int:
        """Stop the sentinel (workers finish their current task), bounded by WORKER_STOP_GRACE."""
        logger.info("stopping the workers of %r …", self.cluster)
        sd_notify("STOPPING=1")
        q_cluster.stop_event.set()
        q_cluster.sentinel.join(timeout=settings.WORKER_STOP_GRACE)
        if q_cluster.sentinel.is_alive():
            logger.warning(
                "the workers of %r did not stop within %s s; killing them (their tasks return to the "
                "queue after Q_RETRY)",
                self.cluster,
                settings.WORKER_STOP_GRACE,
            )
        self._kill_family()
        try:
            heartbeats_reset(cluster=self.cluster)  # stopped on purpose: not a stale cluster
        except db.DatabaseError as exc:
            logger.warning("could not remove the heartbeats of %r: %s", self.cluster, exc)
        logger.info("workers of %r stopped at %s", self.cluster, timezone.now().isoformat())
        return 0
