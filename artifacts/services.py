"""Artifact services: the only code that writes artifacts."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from artifacts.models import Artifact
from runs.services import run_get


def artifact_create(
    *,
    run_id: str,
    type: str,
    actor: str = "system",
    provider: str | None = None,
    url: str | None = None,
    checksum: str | None = None,
    persona: str | None = None,
    retrieval_trace: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
) -> tuple[Artifact, bool]:
    """Create an artifact; returns ``(artifact, created)``.

    The same run + type + checksum again returns the existing artifact (``created`` False).
    """
    run_get(run_id=run_id)
    if checksum:
        existing = Artifact.objects.filter(run_id=run_id, type=type, checksum=checksum).first()
        if existing:
            return existing, False
    try:
        with transaction.atomic():
            artifact = Artifact.objects.create(
                run_id=run_id,
                type=type,
                provider=provider,
                url=url,
                checksum=checksum,
                persona=persona,
                retrieval_trace=retrieval_trace,
                metadata=metadata or {},
            )
    except IntegrityError:
        # A concurrent writer inserted the same checksum first.
        return Artifact.objects.get(run_id=run_id, type=type, checksum=checksum), False
    return artifact, True
