from enum import StrEnum


class PublicationStatusEnum(StrEnum):
    FAILED = "failed"
    PROCESSING = "processing"
    PUBLISHED = "published"
    QUEUED = "queued"
    UPLOADING = "uploading"

    def __str__(self) -> str:
        return str(self.value)
