from enum import StrEnum


class WebhookEventStatusEnum(StrEnum):
    FAILED = "failed"
    IGNORED = "ignored"
    PROCESSED = "processed"
    RECEIVED = "received"
    REJECTED = "rejected"

    def __str__(self) -> str:
        return str(self.value)
