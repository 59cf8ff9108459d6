from enum import StrEnum


class GateNotificationChannelEnum(StrEnum):
    CHAT = "chat"
    EMAIL = "email"

    def __str__(self) -> str:
        return str(self.value)
