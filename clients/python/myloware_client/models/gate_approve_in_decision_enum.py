from enum import StrEnum


class GateApproveInDecisionEnum(StrEnum):
    APPROVE = "approve"

    def __str__(self) -> str:
        return str(self.value)
