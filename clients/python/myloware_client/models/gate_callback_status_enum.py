from enum import StrEnum


class GateCallbackStatusEnum(StrEnum):
    DELIVERED = "delivered"
    DISABLED = "disabled"
    NONE = "none"
    NOT_CONFIGURED = "not_configured"
    PENDING = "pending"

    def __str__(self) -> str:
        return str(self.value)
