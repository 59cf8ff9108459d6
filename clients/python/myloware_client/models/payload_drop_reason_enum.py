from enum import StrEnum


class PayloadDropReasonEnum(StrEnum):
    REJECTED_BUDGET = "rejected_budget"

    def __str__(self) -> str:
        return str(self.value)
