from enum import StrEnum


class RunCreateStatusEnum(StrEnum):
    PENDING = "pending"
    PENDING_WORKFLOW = "pending_workflow"

    def __str__(self) -> str:
        return str(self.value)
