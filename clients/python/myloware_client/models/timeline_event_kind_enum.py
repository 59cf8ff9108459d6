from enum import StrEnum


class TimelineEventKindEnum(StrEnum):
    ARTIFACT = "artifact"
    CHECKPOINT = "checkpoint"
    DECISION = "decision"
    GATE_CLOSED = "gate.closed"
    GATE_OPENED = "gate.opened"
    TRANSITION = "transition"
    WEBHOOK = "webhook"

    def __str__(self) -> str:
        return str(self.value)
