from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from myloware.lib.redact import redact_url
from myloware.lib.validators import validate_http_url

# The enums live in runs.enums (no models), so settings can use them too; imported here for the
# many callers that take them from runs.models.
from runs.enums import (
    Gate,
    GateStatus,
    HitlDecision,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    RunStatus,
)

TERMINAL_STATUSES = frozenset(
    {RunStatus.PUBLISHED, RunStatus.FAILED, RunStatus.REJECTED, RunStatus.CANCELLED}
)

# The one definition of the run lifecycle. Every writer goes through runs.services.run_transition,
# which turns this table into a conditional UPDATE ... WHERE status IN (allowed sources).
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    RunStatus.PENDING_WORKFLOW: frozenset(
        {RunStatus.PENDING, RunStatus.REJECTED, RunStatus.FAILED, RunStatus.CANCELLED}
    ),
    RunStatus.PENDING: frozenset({RunStatus.RUNNING, RunStatus.FAILED, RunStatus.CANCELLED}),
    RunStatus.RUNNING: frozenset(
        {RunStatus.AWAITING_APPROVAL, RunStatus.PUBLISHED, RunStatus.FAILED, RunStatus.CANCELLED}
    ),
    RunStatus.AWAITING_APPROVAL: frozenset(
        {RunStatus.RUNNING, RunStatus.PENDING, RunStatus.REJECTED, RunStatus.FAILED, RunStatus.CANCELLED}
    ),
    RunStatus.PUBLISHED: frozenset(),
    RunStatus.FAILED: frozenset(),
    RunStatus.REJECTED: frozenset(),
    RunStatus.CANCELLED: frozenset(),
}


def sources_of(target: str) -> list[str]:
    """Statuses from which ``target`` may be reached."""
    return sorted(source for source, targets in ALLOWED_TRANSITIONS.items() if target in targets)


class RunQuerySet(models.QuerySet):
    def awaiting_approval(self) -> RunQuerySet:
        return self.filter(status=RunStatus.AWAITING_APPROVAL)

    def failed(self) -> RunQuerySet:
        return self.filter(status=RunStatus.FAILED)


class Run(models.Model):
    run_id = models.TextField(primary_key=True)
    project = models.TextField()
    status = models.TextField(choices=RunStatus.choices, default=RunStatus.PENDING)
    payload = models.JSONField(default=dict, blank=True)
    result = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now())
    updated_at = models.DateTimeField(db_default=Now())
    # Addition: a legal hold. Retention never removes a held run, its events or its artifacts.
    held = models.BooleanField(default=False, db_default=False)

    objects = RunQuerySet.as_manager()

    class Meta:
        db_table = "runs"
        permissions = [("hold_run", "Can place and release a legal hold on runs")]
        # Listing pages use a keyset on (created_at, run_id), so the indexes end with run_id: a
        # page a million rows deep is one index range scan, like the first.
        indexes = [
            models.Index(fields=["created_at", "run_id"], name="runs_created_at_idx"),
            models.Index(fields=["status"], name="runs_status_idx"),
            models.Index(fields=["project", "created_at", "run_id"], name="runs_project_created_idx"),
            models.Index(fields=["status", "created_at", "run_id"], name="runs_status_created_idx"),
            # The admin dashboard's "failed in the last 24 h".
            models.Index(
                fields=["updated_at"],
                condition=models.Q(status=RunStatus.FAILED),
                name="runs_failed_updated_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.run_id

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def allowed_next(self) -> list[str]:
        return sorted(ALLOWED_TRANSITIONS.get(self.status, frozenset()))


class RunStatusCount(models.Model):
    """How many runs each (project, status) has: rows of +1/-1 written by triggers on ``runs``
    (every insert, delete and change of project or status, whoever writes it), in the writer's
    transaction, folded into one row per pair every minute (``run_status_counts_fold``). Summed
    per pair, always the exact count a GROUP BY over ``runs`` gives, at the cost of a few rows
    (the gauge ``myloware_runs`` reads it: a GROUP BY over a million runs takes ~110 ms)."""

    project = models.TextField()
    status = models.TextField()
    runs = models.BigIntegerField()

    class Meta:
        db_table = "run_status_counts"

    def __str__(self) -> str:
        return f"{self.project} {self.status}: {self.runs:+d}"


class OrchestrationCheckpoint(models.Model):
    """The latest orchestrator state of a run (one row per run)."""

    run = models.OneToOneField(
        Run, primary_key=True, on_delete=models.CASCADE, db_column="run_id", related_name="checkpoint"
    )
    state = models.JSONField(default=dict)
    updated_at = models.DateTimeField(db_default=Now())
    # Addition: optimistic concurrency (the API's ETag); every write increments it.
    version = models.BigIntegerField(default=1, db_default=1)

    class Meta:
        db_table = "orchestration_checkpoints"

    def __str__(self) -> str:
        return f"checkpoint of {self.run_id}"


class HitlApproval(models.Model):
    """Append-only audit log of gate decisions (never edited or deleted)."""

    id = models.AutoField(primary_key=True)
    run = models.ForeignKey(Run, on_delete=models.CASCADE, db_column="run_id", related_name="approvals")
    gate = models.TextField()
    approver_ip = models.TextField(null=True, blank=True)
    approver = models.TextField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_default=Now())
    decision = models.TextField(choices=HitlDecision.choices, default=HitlDecision.APPROVE)
    comment = models.TextField(blank=True, default="")
    # Additions: the gate request decided, and the caller's idempotency key (a retried or
    # double-clicked decision finds its first row instead of adding a second).
    gate_request = models.ForeignKey(
        "GateRequest",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        db_column="gate_request_id",
        related_name="approvals",
    )
    idempotency_key = models.TextField(null=True, blank=True)

    class Meta:
        db_table = "hitl_approvals"
        verbose_name = "HITL approval"
        indexes = [
            models.Index(fields=["created_at"], name="hitl_approvals_created_idx"),
            models.Index(fields=["run", "created_at"], name="hitl_approvals_run_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["gate_request", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="hitl_approvals_gate_key_uniq",
            )
        ]

    def __str__(self) -> str:
        return f"{self.decision} {self.gate} on {self.run_id} by {self.approver}"


class RunTransition(models.Model):
    """Append-only log of a run's status changes, written by run_transition in its transaction.

    ``from_status`` is empty for the creation of the run, whose actor is the run's creator.
    """

    run = models.ForeignKey(Run, on_delete=models.CASCADE, db_column="run_id", related_name="transitions")
    from_status = models.TextField(blank=True, default="")
    to_status = models.TextField()
    actor = models.TextField()
    reason = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "run_transitions"
        indexes = [
            models.Index(fields=["run", "created_at"], name="run_transitions_run_idx"),
            # The dashboard's "time from creation to published" over a window.
            models.Index(
                fields=["created_at"],
                condition=models.Q(to_status=RunStatus.PUBLISHED),
                name="run_transitions_published_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}: {self.from_status or '∅'} → {self.to_status}"


class CallbackStatus(models.TextChoices):
    NONE = "none", "No callback (gate open)"
    PENDING = "pending", "Pending delivery"
    DELIVERED = "delivered", "Delivered"
    DISABLED = "disabled", "Endpoint disabled (410)"
    NOT_CONFIGURED = "not_configured", "No orchestrator URL configured"


class GatePolicy(models.Model):
    """An admin-editable override of the gate settings for one project (``*`` = every project)."""

    ANY_PROJECT = "*"

    project = models.TextField(default=ANY_PROJECT, help_text="Project slug, or * for every project")
    gate = models.TextField(choices=Gate.choices)
    enabled = models.BooleanField(default=True, help_text="A disabled gate is approved on opening")
    deadline_hours = models.FloatField(help_text="How long the gate may wait before the run fails")
    required_approvals = models.PositiveSmallIntegerField(default=1)
    allow_self_approval = models.BooleanField(
        default=True, help_text="Whether the run's creator may approve its own run"
    )
    approve_to = models.TextField(
        choices=[(RunStatus.RUNNING, "running"), (RunStatus.PENDING, "pending")],
        default=RunStatus.RUNNING,
        help_text="Status an approved ideate/prepublish gate moves the run to",
    )
    # Who is told (docs/runs.md, "Gate notifications"): an empty list means the environment's.
    notify_emails = ArrayField(
        models.EmailField(),
        default=list,
        blank=True,
        help_text="Told when the gate opens, reminded, told how it closed (empty: GATE_NOTIFY_EMAILS)",
    )
    notify_webhook_urls = ArrayField(
        models.TextField(validators=[validate_http_url]),
        default=list,
        blank=True,
        help_text="Slack-compatible chat webhooks, told everything (empty: GATE_NOTIFY_WEBHOOK_URLS)",
    )
    escalate_emails = ArrayField(
        models.EmailField(),
        default=list,
        blank=True,
        help_text="Told when the gate nears its deadline undecided (empty: GATE_ESCALATE_EMAILS)",
    )
    # Who may decide; neither: every operator with the decide permission.
    approver_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        help_text="Only these users and the members of these groups may decide (none: any operator)",
    )
    approver_groups = models.ManyToManyField("auth.Group", blank=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        db_table = "gate_policies"
        verbose_name_plural = "gate policies"
        ordering = ["project", "gate"]
        constraints = [
            models.UniqueConstraint(fields=["project", "gate"], name="gate_policies_project_gate_uniq"),
            models.CheckConstraint(
                condition=models.Q(required_approvals__gte=1), name="gate_policies_required_gte_1"
            ),
            models.CheckConstraint(
                condition=models.Q(deadline_hours__gt=0), name="gate_policies_deadline_gt_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.gate} gate of {self.project}"


class GateRequestQuerySet(models.QuerySet):
    def open(self) -> GateRequestQuerySet:
        return self.filter(status=GateStatus.OPEN)


class GateRequest(models.Model):
    """One gate opened on a run: owns the gate's lifecycle (hitl_approvals only logs decisions).

    The policy in force when the gate opened is copied onto the row, so editing a policy never
    changes the rules of a gate someone is already looking at.
    """

    run = models.ForeignKey(Run, on_delete=models.CASCADE, db_column="run_id", related_name="gate_requests")
    gate = models.TextField(choices=Gate.choices)
    status = models.TextField(choices=GateStatus.choices, default=GateStatus.OPEN)
    summary = models.TextField(blank=True, default="")
    artifact_ids = models.JSONField(default=list, blank=True)
    content_hash = models.TextField(blank=True, default="")
    opened_by = models.TextField()
    opened_at = models.DateTimeField(default=timezone.now)
    deadline_at = models.DateTimeField()
    required_approvals = models.PositiveSmallIntegerField(default=1)
    allow_self_approval = models.BooleanField(default=True)
    approve_to = models.TextField(default=RunStatus.RUNNING)
    # Who may decide, copied from the policy (both empty: any operator with the permission).
    approver_user_ids = ArrayField(models.IntegerField(), default=list, db_default=[], blank=True)
    approver_group_ids = ArrayField(models.IntegerField(), default=list, db_default=[], blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.TextField(blank=True, default="")
    decision_comment = models.TextField(blank=True, default="")
    # The idea artifact (one of those under review) the run goes ahead with: chosen by an approver,
    # else, once the gate is approved, the first idea under review. Empty when no idea is reviewed.
    chosen_idea_id = models.UUIDField(null=True, blank=True)
    # Delivery of the signed decision callback to the orchestrator (runs.tasks).
    callback_status = models.TextField(choices=CallbackStatus.choices, default=CallbackStatus.NONE)
    callback_attempts = models.PositiveIntegerField(default=0)
    callback_next_at = models.DateTimeField(null=True, blank=True)
    callback_last_error = models.TextField(blank=True, default="")
    callback_delivered_at = models.DateTimeField(null=True, blank=True)

    objects = GateRequestQuerySet.as_manager()

    class Meta:
        db_table = "gate_requests"
        ordering = ["opened_at"]
        permissions = [("decide_gate", "Can approve or reject HITL gates")]
        indexes = [
            models.Index(fields=["run", "gate", "opened_at"], name="gate_requests_run_gate_idx"),
            models.Index(
                fields=["opened_at"],
                condition=models.Q(status=GateStatus.OPEN),
                name="gate_requests_open_idx",
            ),
            models.Index(
                fields=["deadline_at"],
                condition=models.Q(status=GateStatus.OPEN),
                name="gate_requests_deadline_idx",
            ),
            # The dashboard's gate waiting times over a window of decisions.
            models.Index(
                fields=["decided_at"],
                condition=models.Q(decided_at__isnull=False),
                name="gate_requests_decided_idx",
            ),
            models.Index(
                fields=["callback_next_at"],
                condition=models.Q(callback_status=CallbackStatus.PENDING),
                name="gate_requests_callback_idx",
            ),
        ]
        constraints = [
            # At most one open gate of a kind per run: a second open returns the first.
            models.UniqueConstraint(
                fields=["run", "gate"],
                condition=models.Q(status=GateStatus.OPEN),
                name="gate_requests_one_open_uniq",
            )
        ]

    def __str__(self) -> str:
        return f"{self.gate} gate on {self.run_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == GateStatus.OPEN


class PendingApproval(GateRequest):
    """The operators' approvals queue in the admin (open gates, oldest first)."""

    class Meta:
        proxy = True
        verbose_name = "pending approval"


class GateNotification(models.Model):
    """One message about a gate to one target: planned when the gate opens (opened, reminder,
    escalation) or closes (closed), sent once by a worker that claims it, retried with backoff.

    The unique (gate, kind, channel, target) is what makes "sent once" hold whoever plans twice.
    """

    gate_request = models.ForeignKey(
        GateRequest,
        on_delete=models.CASCADE,
        db_column="gate_request_id",
        related_name="notifications",
        db_index=False,  # the unique constraint's index starts with it
    )
    kind = models.TextField(choices=NotificationKind.choices)
    channel = models.TextField(choices=NotificationChannel.choices)
    target = models.TextField()  # an e-mail address, or a chat webhook URL (a secret: redact_url)
    status = models.TextField(choices=NotificationStatus.choices, default=NotificationStatus.PENDING)
    # When it is due (planned time, then the next retry; a claim leases it forward); null once final.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "gate_notifications"
        ordering = ["gate_request", "id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status=NotificationStatus.PENDING),
                name="gate_notifications_due_idx",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["gate_request", "kind", "channel", "target"], name="gate_notifications_once_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.channel} of gate {self.gate_request_id} ({self.status})"

    @property
    def target_display(self) -> str:
        """The target as every page and answer shows it: a chat URL's secret path is masked."""
        return redact_url(self.target) if self.channel == NotificationChannel.CHAT else self.target


class CallbackEndpoint(models.Model):
    """Delivery state of an outbound callback URL: a 410 answer disables it until re-enabled."""

    url = models.TextField(unique=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.TextField(blank=True, default="")

    class Meta:
        db_table = "callback_endpoints"

    def __str__(self) -> str:
        return self.url


from runs.langgraph.models import *  # noqa: E402,F403 - LangGraph checkpoint tables belong to this app
