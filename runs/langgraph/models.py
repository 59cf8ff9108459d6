"""LangGraph checkpoint tables, owned by the runs app (imported at the bottom of runs/models.py).

The layout follows ``langgraph-checkpoint-postgres`` (checkpoints, channel blobs, pending writes)
so the two savers can be compared query for query, with three differences:

- composite primary keys only, no extra ``thread_id`` indexes: every lookup is a prefix of a
  primary key, so a second index would only slow writes down;
- ``thread_id`` is our ``run_id`` but is not a foreign key: LangGraph tools (``copy_thread``, the
  conformance suite, ad-hoc scripts) write threads that are not runs. A trigger on ``runs``
  (migration ``0005_langgraph_checkpoint_tables``) deletes a run's rows when the run is deleted,
  by the ORM or by hand, which is the cascade a foreign key would give;
- an expression index on ``metadata->>'run_id'`` (LangGraph's own run id, not ours) so
  ``delete_for_runs`` does not scan the table.
"""

from __future__ import annotations

from django.db import models
from django.db.models.fields.json import KeyTextTransform

__all__ = ["LangGraphCheckpoint", "LangGraphCheckpointBlob", "LangGraphCheckpointWrite"]


class LangGraphCheckpoint(models.Model):
    """One LangGraph checkpoint; primitive channel values inline, the rest in blobs."""

    pk = models.CompositePrimaryKey("thread_id", "checkpoint_ns", "checkpoint_id")
    thread_id = models.TextField(help_text="LangGraph thread id = our run_id")
    checkpoint_ns = models.TextField(default="", db_default="", blank=True)
    checkpoint_id = models.TextField()
    parent_checkpoint_id = models.TextField(null=True, blank=True)
    checkpoint = models.JSONField()
    metadata = models.JSONField(default=dict, db_default=models.Value({}, models.JSONField()))

    class Meta:
        db_table = "langgraph_checkpoints"
        verbose_name = "LangGraph checkpoint"
        indexes = [
            models.Index(KeyTextTransform("run_id", "metadata"), name="langgraph_ckpt_lg_run_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.thread_id}/{self.checkpoint_ns or '-'}/{self.checkpoint_id}"


class LangGraphCheckpointBlob(models.Model):
    """A channel value at one version, serialized by LangGraph's serializer (``type`` + bytes)."""

    pk = models.CompositePrimaryKey("thread_id", "checkpoint_ns", "channel", "version")
    thread_id = models.TextField()
    checkpoint_ns = models.TextField(default="", db_default="", blank=True)
    channel = models.TextField()
    version = models.TextField()
    type = models.TextField()
    blob = models.BinaryField(null=True)

    class Meta:
        db_table = "langgraph_checkpoint_blobs"
        verbose_name = "LangGraph checkpoint blob"

    def __str__(self) -> str:
        return f"{self.thread_id}/{self.channel}@{self.version}"


class LangGraphCheckpointWrite(models.Model):
    """A pending write of a task against a checkpoint (what a resume replays)."""

    pk = models.CompositePrimaryKey("thread_id", "checkpoint_ns", "checkpoint_id", "task_id", "idx")
    thread_id = models.TextField()
    checkpoint_ns = models.TextField(default="", db_default="", blank=True)
    checkpoint_id = models.TextField()
    task_id = models.TextField()
    idx = models.IntegerField()
    task_path = models.TextField(default="", db_default="", blank=True)
    channel = models.TextField()
    type = models.TextField(null=True, blank=True)
    blob = models.BinaryField()

    class Meta:
        db_table = "langgraph_checkpoint_writes"
        verbose_name = "LangGraph pending write"

    def __str__(self) -> str:
        return f"{self.thread_id}/{self.checkpoint_id}/{self.task_id}#{self.idx}"
