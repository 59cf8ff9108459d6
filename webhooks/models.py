from __future__ import annotations

import uuid

from django.contrib.postgres.functions import RandomUUID
from django.db import models
from django.db.models.functions import Now


class SignatureStatus(models.TextChoices):
    VALID = "valid", "Valid"
    INVALID = "invalid", "Invalid"
    MISSING = "missing", "Missing"


class EventStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    FAILED = "failed", "Failed"
    IGNORED = "ignored", "Ignored"
    REJECTED = "rejected", "Rejected (not authentic)"


class WebhookEvent(models.Model):
    """One inbound provider request, stored byte-exact before it is answered."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False)
    idempotency_key = models.TextField()
    provider = models.TextField()
    headers = models.JSONField(default=dict)
    payload = models.BinaryField()
    signature_status = models.TextField(choices=SignatureStatus.choices)
    received_at = models.DateTimeField(db_default=Now())
    # Processing state (additions to the seed) so this table alone tells what happened.
    status = models.TextField(choices=EventStatus.choices, default=EventStatus.RECEIVED)
    run_id = models.TextField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(null=True, blank=True)

    class Meta:
        db_table = "webhook_events"
        indexes = [
            models.Index(fields=["received_at"], name="webhook_events_received_idx"),
            models.Index(fields=["run_id"], name="webhook_events_run_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "idempotency_key"], name="webhook_events_provider_key_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.idempotency_key}"


class WebhookDLQ(models.Model):
    """A webhook event whose processing failed, waiting for a replay with backoff."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False)
    idempotency_key = models.TextField()
    provider = models.TextField()
    headers = models.JSONField(default=dict)
    payload = models.BinaryField()
    error = models.TextField(blank=True, default="")
    retry_count = models.IntegerField(default=0, db_default=0)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now())
    updated_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "webhook_dlq"
        verbose_name = "dead-letter entry"
        verbose_name_plural = "dead-letter queue"
        indexes = [models.Index(fields=["next_retry_at"], name="webhook_dlq_next_retry_idx")]
        constraints = [
            # One DLQ entry per event: a second failure updates it instead of adding another.
            models.UniqueConstraint(
                fields=["provider", "idempotency_key"], name="webhook_dlq_provider_key_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.idempotency_key} ({self.retry_count} retries)"
