from enum import StrEnum


class GateNameEnum(StrEnum):
    IDEATE = "ideate"
    PREPUBLISH = "prepublish"
    WORKFLOW = "workflow"

    def __str__(self) -> str:
        return str(self.value)
