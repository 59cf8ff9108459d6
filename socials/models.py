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
