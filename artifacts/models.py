from __future__ import annotations

import uuid

from django.contrib.postgres.functions import RandomUUID
from django.db import models
from django.db.models.functions import Now


class Artifact(models.Model):
    """A persona output, notification or RAG audit record attached to a run."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False)
    run = models.ForeignKey(
        "runs.Run", on_delete=models.CASCADE, db_column="run_id", related_name="artifacts"
    )
    type = models.TextField()
    provider = models.TextField(null=True, blank=True)
    url = models.TextField(null=True, blank=True)
    checksum = models.TextField(null=True, blank=True)
    persona = models.TextField(null=True, blank=True)
    retrieval_trace = models.JSONField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "artifacts"
        indexes = [
            models.Index(fields=["run", "created_at"], name="artifacts_run_created_idx"),
            models.Index(fields=["persona", "created_at"], name="artifacts_persona_created_idx"),
            models.Index(fields=["created_at"], name="artifacts_created_idx"),
        ]
        constraints = [
            # Same run + type + checksum is the same artifact: a retried POST returns the first.
            models.UniqueConstraint(
                fields=["run", "type", "checksum"],
                condition=models.Q(checksum__isnull=False),
                name="artifacts_run_type_checksum_uniq",
            )
        ]

    def __str__(self) -> str:
        return f"{self.type} of {self.run_id}"
