"""django-q2 entry points of the socials app."""

from __future__ import annotations

from socials.services import publication_execute, publications_poll_status, publications_recover_stale


def publication_run(publication_id: str) -> None:
    """Upload one queued publication; a second run of the same task finds it claimed and stops."""
    publication_execute(publication_id=publication_id, actor="task:publication_run")


def publications_recover_stale_run() -> int:
    """Periodic (socials/schedules.py): queue again publications whose job was lost."""
    return publications_recover_stale(actor="task:publications_recover_stale")


def publications_poll_status_run() -> int:
    """Periodic (socials/schedules.py): poll upload-post for publications whose webhook is late.

    Several workers may run it at once; each claims disjoint rows (SKIP LOCKED). Returns how many
    publications were polled.
    """
    return len(publications_poll_status(actor="task:publications_poll_status").due)
