from __future__ import annotations

from django.db import models
from django.db.models.functions import Now


class WorkerRole(models.TextChoices):
    WORKER = "worker", "Worker (runs tasks)"
    MONITOR = "monitor", "Monitor (saves results, acknowledges tasks to the broker)"


class WorkerHeartbeat(models.Model):
    """One django-q2 process of a watched cluster, and the last time work went through it.

    Written by the process itself (see ``heartbeat``): a worker when it starts and finishes a
    task, the monitor when it acknowledges one. The cluster's main process deletes the rows of
    processes that died. ``beat_at`` moves only when a task really went through, so a wedged
    cluster's rows go stale while its processes still live.
    """

    cluster = models.TextField()
    pid = models.IntegerField()
    role = models.TextField(choices=WorkerRole.choices, default=WorkerRole.WORKER)
    host = models.TextField()
    started_at = models.DateTimeField(db_default=Now())
    # Last time this worker started or finished a task, or this monitor acknowledged one.
    beat_at = models.DateTimeField(null=True, blank=True)
    # While a task runs: when the guard will have killed it for its timeout (NULL when idle).
    busy_until = models.DateTimeField(null=True, blank=True)
    # While a task runs: its row in django-q2's ORM broker queue, handed back if the worker dies.
    broker_ack_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        db_table = "worker_heartbeats"
        constraints = [
            models.UniqueConstraint(fields=["cluster", "pid"], name="worker_heartbeats_cluster_pid_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.cluster} worker {self.pid}"
