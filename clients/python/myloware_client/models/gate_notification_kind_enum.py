from enum import StrEnum


class GateNotificationKindEnum(StrEnum):
    CLOSED = "closed"
    ESCALATION = "escalation"
    OPENED = "opened"
    REMINDER = "reminder"

    def __str__(self) -> str:
        return str(self.value)
