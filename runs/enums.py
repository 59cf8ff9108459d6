"""The runs app's names: run statuses, gate names, gate statuses and decisions.

Plain choices without models, so ``myloware.settings`` (the gate settings) can name them too.
"""

from __future__ import annotations

from django.db import models


class RunStatus(models.TextChoices):
    PENDING_WORKFLOW = "pending_workflow", "Pending workflow approval"
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    PUBLISHED = "published", "Published"
    FAILED = "failed", "Failed"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


class HitlDecision(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"


class Gate(models.TextChoices):
    WORKFLOW = "workflow", "Workflow"
    IDEATE = "ideate", "Ideate"
    PREPUBLISH = "prepublish", "Prepublish"


class GateStatus(models.TextChoices):
    OPEN = "open", "Open"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled (run ended)"
