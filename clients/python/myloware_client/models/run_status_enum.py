from enum import StrEnum


class RunStatusEnum(StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"
    CANCELLED = "cancelled"
    FAILED = "failed"
    PENDING = "pending"
    PENDING_WORKFLOW = "pending_workflow"
    PUBLISHED = "published"
    REJECTED = "rejected"
    RUNNING = "running"

    def __str__(self) -> str:
        return str(self.value)
