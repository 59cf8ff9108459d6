from __future__ import annotations

from django.db import models
from django.db.models.functions import Now


class WorkerHeartbeat(models.Model):
    """One django-q2 worker process of a watched cluster, and the last time work flowed through it.

    Written by the worker itself when it starts and finishes a task (see ``heartbeat``); the
    cluster's main process deletes the rows of workers that died. ``beat_at`` moves only when a
    task really went through the worker, so a wedged cluster's rows go stale while its
    processes still live.
    """

    cluster = models.TextField()
    pid = models.IntegerField()
    host = models.TextField()
    started_at = models.DateTimeField(db_default=Now())
    # Last time this worker started or finished a task (NULL: none yet).
    beat_at = models.DateTimeField(null=True, blank=True)
    # While a task runs: when the guard will have killed it for its timeout (NULL when idle).
    busy_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "worker_heartbeats"
        constraints = [
            models.UniqueConstraint(fields=["cluster", "pid"], name="worker_heartbeats_cluster_pid_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.cluster} worker {self.pid}"
