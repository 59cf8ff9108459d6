"""The areas of the API: one OpenAPI tag each, with its description (settings: SPECTACULAR_SETTINGS).

Every operation carries exactly one; client generators make a module per tag (the Python client's
``api/runs``, ``api/gates`` …). Plain choices without models, so the settings can name them.
"""

from __future__ import annotations

from django.db import models


class Tag(models.TextChoices):
    RUNS = "runs", "Runs: create, read, patch, move and count them; their story (timeline)"
    ARTIFACTS = "artifacts", "Artifacts: persona outputs of a run, retrieval traces and citations"
    CHECKPOINTS = "checkpoints", "Checkpoints: the orchestrator's latest state of a run, saved with If-Match"
    GATES = "gates", "Gates: human-in-the-loop approvals a run waits for, and their decisions"
    KNOWLEDGE = "knowledge", "Knowledge base: documents, their embedding, and search"
    SOCIALS = "socials", "Social accounts and the projects they publish for"
    PUBLISHING = "publishing", "Publishing a run's video to its project's primary account"
    WEBHOOKS = "webhooks", "Provider webhooks: the signed intake, stored events and the dead-letter queue"
    KEYS = "keys", "The API key in use"


# The document's top-level tags, in this order.
TAGS = [{"name": tag.value, "description": tag.label} for tag in Tag]
