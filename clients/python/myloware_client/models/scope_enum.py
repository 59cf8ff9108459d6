from enum import StrEnum


class ScopeEnum(StrEnum):
    ARTIFACTS = "artifacts"
    CHECKPOINTS = "checkpoints"
    GATESDECIDE = "gates:decide"
    KBREAD = "kb:read"
    KBWRITE = "kb:write"
    OPSREAD = "ops:read"
    RUNS = "runs"
    SOCIALSPUBLISH = "socials:publish"
    SOCIALSREAD = "socials:read"
    SOCIALSWRITE = "socials:write"
    WEBHOOKSREAD = "webhooks:read"
    WEBHOOKSREPLAY = "webhooks:replay"

    def __str__(self) -> str:
        return str(self.value)
