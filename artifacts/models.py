from __future__ import annotations

import uuid

from django.contrib.postgres.functions import RandomUUID
from django.db import models
from django.db.models.functions import Now


class ArtifactType(models.TextChoices):
    """The artifact types this system writes or reads by name (the column stays free text: the
    orchestrator may record types of its own)."""

    IDEA = "idea", "Idea"
    SCRIPT = "script", "Script"
    CLIP = "clip", "Clip (raw provider video)"
    RENDER = "render", "Render"
    RENDER_URL = "render.url", "Render URL (final video)"
    VIDEO = "video", "Video"
    PUBLISH_URL = "publish.url", "Publish URL (live post)"
    NOTIFICATION = "notification", "Notification"
    HITL_APPROVAL = "hitl.approval", "HITL approval"
    RETRIEVAL_TRACE = "retrieval.trace", "Retrieval trace"
    CITATIONS = "citations", "Citations"
    ERROR = "error", "Error"


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
