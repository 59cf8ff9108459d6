"""Reads of the artifacts app: the API's lists."""

from __future__ import annotations

from django.db.models import QuerySet

from artifacts.models import Artifact


def run_artifacts(*, run_id: str, type: str | None = None) -> QuerySet[Artifact]:
    """The run's artifacts, of one type when ``type`` is given."""
    rows = Artifact.objects.filter(run_id=run_id)
    return rows.filter(type=type) if type else rows


def artifacts(
    *, persona: str | None = None, type: str | None = None, provider: str | None = None
) -> QuerySet[Artifact]:
    """Artifacts across runs, filtered on every criterion given (exact values)."""
    filters = {"persona": persona, "type": type, "provider": provider}
    return Artifact.objects.filter(**{name: value for name, value in filters.items() if value})
