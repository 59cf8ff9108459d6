"""django-q2 entry points of the socials app."""

from __future__ import annotations

from socials.services import publication_execute


def publication_run(publication_id: str) -> None:
    """Upload one queued publication; a second run of the same task finds it claimed and stops."""
    publication_execute(publication_id=publication_id, actor="task:publication_run")
