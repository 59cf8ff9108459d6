from enum import StrEnum


class PayloadDropReasonEnum(StrEnum):
    REJECTED_BUDGET = "rejected_budget"
    RETENTION = "retention"

    def __str__(self) -> str:
        return str(self.value)
