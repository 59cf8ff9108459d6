from __future__ import annotations

from django.db import models
from django.db.models.functions import Now


class RunStatus(models.TextChoices):
    PENDING_WORKFLOW = "pending_workflow", "Pending workflow approval"
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    PUBLISHED = "published", "Published"
    FAILED = "failed", "Failed"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


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


class Run(models.Model):
    run_id = models.TextField(primary_key=True)
    project = models.TextField()
    status = models.TextField(choices=RunStatus.choices, default=RunStatus.PENDING)
    payload = models.JSONField(default=dict, blank=True)
    result = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now())
    updated_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "runs"
        indexes = [
            models.Index(fields=["created_at"], name="runs_created_at_idx"),
            models.Index(fields=["status"], name="runs_status_idx"),
            models.Index(fields=["project", "created_at"], name="runs_project_created_idx"),
        ]

    def __str__(self) -> str:
        return self.run_id

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def allowed_next(self) -> list[str]:
        return sorted(ALLOWED_TRANSITIONS.get(self.status, frozenset()))


class OrchestrationCheckpoint(models.Model):
    """The latest orchestrator state of a run (one row per run)."""

    run = models.OneToOneField(
        Run, primary_key=True, on_delete=models.CASCADE, db_column="run_id", related_name="checkpoint"
    )
    state = models.JSONField(default=dict)
    updated_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "orchestration_checkpoints"

    def __str__(self) -> str:
        return f"checkpoint of {self.run_id}"


class HitlDecision(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"


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

    class Meta:
        db_table = "hitl_approvals"
        verbose_name = "HITL approval"
        indexes = [models.Index(fields=["created_at"], name="hitl_approvals_created_idx")]

    def __str__(self) -> str:
        return f"{self.decision} {self.gate} on {self.run_id} by {self.approver}"
