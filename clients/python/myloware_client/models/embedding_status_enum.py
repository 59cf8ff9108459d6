from enum import StrEnum


class EmbeddingStatusEnum(StrEnum):
    EMBEDDING = "embedding"
    FAILED = "failed"
    PENDING = "pending"
    READY = "ready"

    def __str__(self) -> str:
        return str(self.value)
