from __future__ import annotations

import uuid

from django.contrib.postgres.functions import RandomUUID
from django.db import models
from django.db.models.functions import Now


class Social(models.Model):
    """An account on a publishing provider. ``credential_ref`` names where the secret lives."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False)
    provider = models.TextField()
    account_id = models.TextField()
    credential_ref = models.TextField(blank=True, default="")
    default_caption = models.TextField(null=True, blank=True)
    default_tags = models.JSONField(null=True, blank=True)
    privacy = models.TextField(null=True, blank=True)
    rate_limit_window = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "socials"
        verbose_name = "social account"
        constraints = [
            models.UniqueConstraint(fields=["provider", "account_id"], name="socials_provider_account_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.account_id}"


class ProjectSocial(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False)
    project = models.TextField()
    social = models.ForeignKey(
        Social, on_delete=models.CASCADE, db_column="social_id", related_name="project_links"
    )
    is_primary = models.BooleanField(default=False, db_default=False)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "project_socials"
        verbose_name = "project social link"
        constraints = [
            models.UniqueConstraint(fields=["project", "social"], name="project_socials_project_social_uniq"),
            # The database itself refuses a second primary account for a project.
            models.UniqueConstraint(
                fields=["project"], condition=models.Q(is_primary=True), name="project_socials_one_primary"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} → {self.social_id}{' (primary)' if self.is_primary else ''}"


class PublicationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    UPLOADING = "uploading", "Uploading"
    # The provider accepted the upload and answers later (upload_completed webhook).
    PROCESSING = "processing", "Processing at the provider"
    PUBLISHED = "published", "Published"
    FAILED = "failed", "Failed"


ACTIVE_PUBLICATION_STATUSES = (
    PublicationStatus.QUEUED,
    PublicationStatus.UPLOADING,
    PublicationStatus.PROCESSING,
)
# A publication in one of these states is the run's post (on its way or live); only a failed
# attempt makes room for another.
LIVE_PUBLICATION_STATUSES = (*ACTIVE_PUBLICATION_STATUSES, PublicationStatus.PUBLISHED)


class Publication(models.Model):
    """One attempt to publish a run's video to an account: the idempotency and rate-window record.

    ``idempotency_key`` (hash of video, caption, account, platform) is unique: the same content
    is sent to the provider once. ``requested_at`` of an account's latest publication anchors its
    rate-limit window.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False)
    run = models.ForeignKey(
        "runs.Run", on_delete=models.CASCADE, db_column="run_id", related_name="publications"
    )
    # PROTECT: an account with a publish history is kept (its window and audit depend on it).
    social = models.ForeignKey(
        Social, on_delete=models.PROTECT, db_column="social_id", related_name="publications"
    )
    platform = models.TextField()
    account_id = models.TextField()
    video_url = models.TextField()
    caption = models.TextField(blank=True, default="")
    tags = models.JSONField(default=list, blank=True)
    privacy = models.TextField(null=True, blank=True)
    idempotency_key = models.TextField(unique=True)
    status = models.TextField(choices=PublicationStatus.choices, default=PublicationStatus.QUEUED)
    attempts = models.IntegerField(default=0)
    fake = models.BooleanField(default=False, help_text="Published by the local-development fake client")
    provider_request_id = models.TextField(null=True, blank=True)
    provider_response = models.JSONField(null=True, blank=True)
    publish_url = models.TextField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    actor = models.TextField(blank=True, default="")
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Fallback status poll of a ``processing`` publication (its webhook may never arrive):
    # how often upload-post was asked, when last, and when it is due again (backoff).
    status_polls = models.IntegerField(default=0, db_default=0)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now())
    updated_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "social_publications"
        verbose_name = "publication"
        permissions = [("publish_run", "Can publish a run to its project's account")]
        indexes = [
            models.Index(fields=["social", "requested_at"], name="social_pub_social_req_idx"),
            models.Index(fields=["provider_request_id"], name="social_pub_provider_req_idx"),
            models.Index(fields=["created_at"], name="social_pub_created_idx"),
            models.Index(fields=["run", "created_at"], name="social_pub_run_created_idx"),
            # The poller's "which processing publications are due" scan stays small.
            models.Index(
                fields=["next_poll_at"],
                condition=models.Q(status=PublicationStatus.PROCESSING),
                name="social_pub_poll_due_idx",
            ),
        ]
        constraints = [
            # One live publication per run (in flight or published): a run is posted at most
            # once, whatever the caption; a failed attempt does not count.
            models.UniqueConstraint(
                fields=["run"],
                condition=models.Q(status__in=LIVE_PUBLICATION_STATUSES),
                name="social_pub_one_live_per_run",
            )
        ]

    def __str__(self) -> str:
        return f"{self.run_id} → {self.platform}:{self.account_id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (PublicationStatus.PUBLISHED, PublicationStatus.FAILED)
