from __future__ import annotations

import uuid
from datetime import datetime

from django.contrib.postgres.functions import RandomUUID
from django.db import models
from django.db.models import ExpressionWrapper, Q
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
    # Which rule produced idempotency_key (header:webhook-id, field:kieai, body-sha256, ...).
    idempotency_rule = models.TextField(default="", db_default="", blank=True)
    # Why signature_status is what it is: ok, mismatch, stale, future, malformed, empty, ...
    signature_reason = models.TextField(default="", db_default="", blank=True)
    # Query parameters of the callback URL, secrets (the ?token=) redacted.
    query = models.JSONField(default=dict, db_default={}, blank=True)
    content_type = models.TextField(default="", db_default="", blank=True)
    # Processing attempts (first processing, replays and operator reprocessing).
    attempts = models.IntegerField(default=0, db_default=0)

    class Meta:
        db_table = "webhook_events"
        indexes = [
            models.Index(fields=["received_at"], name="webhook_events_received_idx"),
            models.Index(fields=["run_id"], name="webhook_events_run_idx"),
            models.Index(fields=["provider", "received_at"], name="webhook_events_prov_recv_idx"),
            # The webhook loop claims the oldest received events (process_webhooks).
            models.Index(
                fields=["received_at"],
                condition=models.Q(status=EventStatus.RECEIVED),
                name="webhook_events_pending_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "idempotency_key"], name="webhook_events_provider_key_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.idempotency_key}"


class WebhookDLQQuerySet(models.QuerySet["WebhookDLQ"]):
    """The dead-letter entry's three states, written once (the schedule, the API, the admin and the
    dashboard all ask here): due (replay now), waiting (for its backoff) and dead (parked)."""

    @staticmethod
    def due_condition(now: datetime) -> Q:
        # next_retry_at NULL means "due now" (the seed's semantics); dead entries never are.
        return Q(dead_at__isnull=True) & (Q(next_retry_at__isnull=True) | Q(next_retry_at__lte=now))

    @staticmethod
    def waiting_condition(now: datetime) -> Q:
        return Q(dead_at__isnull=True, next_retry_at__gt=now)

    DEAD_CONDITION = Q(dead_at__isnull=False)

    def due(self, now: datetime) -> WebhookDLQQuerySet:
        return self.filter(self.due_condition(now))

    def waiting(self, now: datetime) -> WebhookDLQQuerySet:
        return self.filter(self.waiting_condition(now))

    def dead(self) -> WebhookDLQQuerySet:
        return self.filter(self.DEAD_CONDITION)

    def live(self) -> WebhookDLQQuerySet:
        """Not dead: due or waiting."""
        return self.exclude(self.DEAD_CONDITION)

    def with_due(self, now: datetime) -> WebhookDLQQuerySet:
        """Each entry with ``replay_due`` (bool) as of ``now``, computed by the same condition in SQL."""
        return self.annotate(
            replay_due=ExpressionWrapper(self.due_condition(now), output_field=models.BooleanField())
        )


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
    # Additions to the seed: the event this entry retries, the failure's class and traceback,
    # and when it was parked as dead (never retried automatically; next_retry_at NULL means
    # "due now" in the seed, so "dead" needs its own column).
    event = models.OneToOneField(
        WebhookEvent,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        db_column="event_id",
        related_name="dlq_entry",
    )
    error_class = models.TextField(default="", db_default="", blank=True)
    traceback = models.TextField(default="", db_default="", blank=True)
    dead_at = models.DateTimeField(null=True, blank=True)

    objects = WebhookDLQQuerySet.as_manager()
    # Set on rows read through ``WebhookDLQ.objects.with_due(now)``.
    replay_due: bool

    class Meta:
        db_table = "webhook_dlq"
        verbose_name = "dead-letter entry"
        verbose_name_plural = "dead-letter queue"
        permissions = [("replay_webhookdlq", "Can replay dead-letter entries")]
        indexes = [models.Index(fields=["next_retry_at"], name="webhook_dlq_next_retry_idx")]
        constraints = [
            # One DLQ entry per event: a second failure updates it instead of adding another.
            models.UniqueConstraint(
                fields=["provider", "idempotency_key"], name="webhook_dlq_provider_key_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.idempotency_key} ({self.retry_count} retries)"

    @property
    def is_dead(self) -> bool:
        return self.dead_at is not None
