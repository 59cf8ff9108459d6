from __future__ import annotations

import uuid

from django.contrib.postgres.functions import RandomUUID
from django.db import models
from django.db.models.functions import Now

from myloware.lib.text import counted


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


# What a person calls one and several artifacts of a type, for counts ("3 ideas, 1 citation list").
ARTIFACT_NOUNS: dict[str, tuple[str, str]] = {
    ArtifactType.IDEA: ("idea", "ideas"),
    ArtifactType.SCRIPT: ("script", "scripts"),
    ArtifactType.CLIP: ("clip", "clips"),
    ArtifactType.RENDER: ("render", "renders"),
    ArtifactType.RENDER_URL: ("final video", "final videos"),
    ArtifactType.VIDEO: ("video", "videos"),
    ArtifactType.PUBLISH_URL: ("live post", "live posts"),
    ArtifactType.NOTIFICATION: ("notification", "notifications"),
    ArtifactType.HITL_APPROVAL: ("approval record", "approval records"),
    ArtifactType.RETRIEVAL_TRACE: ("retrieval trace", "retrieval traces"),
    ArtifactType.CITATIONS: ("citation list", "citation lists"),
    ArtifactType.ERROR: ("error", "errors"),
}


def artifacts_counted(type_: str, count: int) -> str:
    """``count`` artifacts of ``type_`` in words; a type of the orchestrator's own is named as it is."""
    singular, plural = ARTIFACT_NOUNS.get(type_, (f"{type_} artifact", f"{type_} artifacts"))
    return counted(count, singular, plural)


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
