from enum import StrEnum


class GateRejectInDecisionEnum(StrEnum):
    REJECT = "reject"

    def __str__(self) -> str:
        return str(self.value)
