from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.postgres.functions import RandomUUID
from django.db import models
from django.db.models import Exists, ExpressionWrapper, OuterRef, Q
from django.db.models.functions import Now

from runs.models import Run


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


class PayloadDropReason(models.TextChoices):
    """Why an event's body is not in ``payload`` (its size and SHA-256 are kept)."""

    REJECTED_BUDGET = "rejected_budget", "over the hourly budget for bodies of rejected deliveries"
    RETENTION = "retention", "expunged by the retention policy once processed"


# The provider column of a delivery to a slug nobody configured: one bucket for all of them
# (for the rejected-body budget and the failure limit), never a valid slug (SLUG_PATTERN).
UNKNOWN_PROVIDER = "(unknown)"


class WebhookEventQuerySet(models.QuerySet):
    def with_run_known(self) -> WebhookEventQuerySet:
        """Each event with ``run_known``: whether the run it names exists (a callback may name a
        run that never existed, or was deleted). A subquery of the events' own query: a page of
        events costs one read, whatever the number of runs it names."""
        return self.annotate(run_known=Exists(Run.objects.filter(run_id=OuterRef("run_id"))))


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
    # The body as received: its size and SHA-256 (hex) always, the bytes in ``payload`` unless
    # dropped (then ``payload`` is empty and the two columns below say when and why).
    payload_size = models.BigIntegerField(null=True, blank=True)
    payload_sha256 = models.TextField(null=True, blank=True)
    payload_dropped_at = models.DateTimeField(null=True, blank=True)
    payload_drop_reason = models.TextField(choices=PayloadDropReason.choices, null=True)
    # The sender's address (myloware.api.request.client_ip), for the audit of rejected deliveries.
    client_address = models.TextField(null=True, blank=True)

    objects = WebhookEventQuerySet.as_manager()
    # Set on rows read through ``WebhookEvent.objects.with_run_known()``.
    run_known: bool

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
            # Retention (myloware.lifecycle) walks the oldest events whose body is still kept, and
            # the oldest rejected ones: expunged and deleted rows leave these indexes, so every
            # batch starts at the first row due instead of behind all the rows done before.
            models.Index(
                fields=["received_at"],
                condition=models.Q(payload_dropped_at__isnull=True),
                name="webhook_events_body_kept_idx",
            ),
            models.Index(
                fields=["received_at"],
                condition=models.Q(status=EventStatus.REJECTED),
                name="webhook_events_rejected_idx",
            ),
        ]
        permissions = [("delete_rejected_webhookevent", "Can delete rejected (unauthenticated) events")]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "idempotency_key"], name="webhook_events_provider_key_uniq"
            ),
            # A body is kept whole, or dropped (empty) with when and why.
            models.CheckConstraint(
                condition=(
                    Q(payload_dropped_at__isnull=True, payload_drop_reason__isnull=True)
                    | Q(payload_dropped_at__isnull=False, payload_drop_reason__isnull=False, payload=b"")
                ),
                name="webhook_events_payload_dropped",
            ),
            # Only an authenticated delivery may name the run it concerns: ?run_id= is not signed.
            models.CheckConstraint(
                condition=Q(signature_status=SignatureStatus.VALID) | Q(run_id__isnull=True),
                name="webhook_events_unverified_no_run",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.idempotency_key}"

    @property
    def payload_dropped(self) -> bool:
        return self.payload_dropped_at is not None

    @property
    def payload_note(self) -> str:
        """What the admin and the API say instead of an empty body ("" while the body is kept)."""
        if self.payload_drop_reason is None:
            return ""
        if self.payload_drop_reason == PayloadDropReason.RETENTION and self.payload_dropped_at:
            return f"body expunged on {self.payload_dropped_at:%Y-%m-%d}"
        return f"body not kept: {PayloadDropReason(self.payload_drop_reason).label}"


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


class RejectedBodyBudget(models.Model):
    """Bodies of rejected deliveries kept (and dropped) per provider and hour.

    One row per provider (``UNKNOWN_PROVIDER`` for unknown slugs) and hour, updated by the
    intake's statement with ``INSERT ... ON CONFLICT DO UPDATE``: a body is kept while
    ``kept_bytes`` stays within WEBHOOK_REJECTED_BODY_BUDGET, else it is dropped and counted.
    """

    id = models.BigAutoField(primary_key=True)
    provider = models.TextField()
    hour = models.DateTimeField()
    kept_bytes = models.BigIntegerField(default=0)
    bodies_kept = models.IntegerField(default=0)
    dropped_bytes = models.BigIntegerField(default=0)
    bodies_dropped = models.IntegerField(default=0)
    # Whether the statement that wrote the row last kept its body (what it RETURNs).
    last_kept = models.BooleanField(default=True)

    class Meta:
        db_table = "webhook_rejected_body_budgets"
        verbose_name = "rejected-body budget (per provider and hour)"
        verbose_name_plural = "rejected-body budgets (per provider and hour)"
        constraints = [
            models.UniqueConstraint(fields=["provider", "hour"], name="webhook_rejected_budget_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.hour:%Y-%m-%d %H:00}"


class VerificationFailureWindow(models.Model):
    """Failed verifications of one provider from one client address in the current window.

    The intake refuses a sender (429) before reading its body once ``failures`` reached
    WEBHOOK_FAILURE_LIMIT within WEBHOOK_FAILURE_WINDOW seconds of ``window_start``; every failed
    verification counts with one ``INSERT ... ON CONFLICT DO UPDATE`` (a window that ended
    starts again). ``client`` is the address, an IPv6 one as its /64 network.
    """

    id = models.BigAutoField(primary_key=True)
    provider = models.TextField()
    client = models.TextField()
    window_start = models.DateTimeField()
    failures = models.IntegerField(default=0)

    class Meta:
        db_table = "webhook_verification_failures"
        verbose_name = "verification failures (per provider and client)"
        verbose_name_plural = "verification failures (per provider and client)"
        constraints = [models.UniqueConstraint(fields=["provider", "client"], name="webhook_failures_uniq")]
        indexes = [models.Index(fields=["window_start"], name="webhook_failures_window_idx")]

    def __str__(self) -> str:
        return f"{self.provider} from {self.client}"

    def ends_at(self) -> datetime:
        return self.window_start + timedelta(seconds=settings.WEBHOOK_FAILURE_WINDOW)

    def refuses(self, now: datetime) -> bool:
        """Whether this sender's deliveries are refused (429) at ``now``."""
        return self.failures >= settings.WEBHOOK_FAILURE_LIMIT and self.ends_at() > now
