from enum import StrEnum


class SignatureStatusEnum(StrEnum):
    INVALID = "invalid"
    MISSING = "missing"
    VALID = "valid"

    def __str__(self) -> str:
        return str(self.value)
