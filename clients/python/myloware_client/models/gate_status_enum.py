from enum import StrEnum


class GateStatusEnum(StrEnum):
    APPROVED = "approved"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    OPEN = "open"
    REJECTED = "rejected"

    def __str__(self) -> str:
        return str(self.value)
