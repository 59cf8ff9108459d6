from enum import StrEnum


class KbUpsertResponseStatusEnum(StrEnum):
    ADDED = "added"
    UNCHANGED = "unchanged"
    UPDATED = "updated"

    def __str__(self) -> str:
        return str(self.value)
