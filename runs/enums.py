"""The runs app's names: run statuses, gate names, gate statuses, decisions and gate notifications.

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


# A decision as the noun a sentence needs ("your approval of the ideate gate").
DECISION_NOUNS: dict[str, str] = {HitlDecision.APPROVE: "approval", HitlDecision.REJECT: "rejection"}


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


class NotificationKind(models.TextChoices):
    OPENED = "opened", "Gate opened"
    REMINDER = "reminder", "Reminder"
    ESCALATION = "escalation", "Escalation"
    CLOSED = "closed", "Gate closed"


class NotificationChannel(models.TextChoices):
    EMAIL = "email", "E-mail"
    CHAT = "chat", "Chat webhook"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # due at next_attempt_at (a planned reminder, or a retry)
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (gave up)"
    SKIPPED = "skipped", "Skipped (gate closed first)"
