from enum import StrEnum


class OutcomeEnum(StrEnum):
    DEAD = "dead"
    FAILED = "failed"
    IGNORED = "ignored"
    MISSING = "missing"
    PROCESSED = "processed"

    def __str__(self) -> str:
        return str(self.value)
