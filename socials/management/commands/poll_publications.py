"""Poll upload-post now for processing publications whose webhook is late (the schedule does it
every 2 minutes)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from myloware.lib.commands import MylowareCommand, positive_int
from myloware.lib.text import counted
from socials.services import publications_poll_status


class Command(MylowareCommand):
    help = "Ask upload-post for the status of due 'processing' publications and finish final ones"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=positive_int, default=None, help="at most N publications")
        parser.add_argument("--dry-run", action="store_true", help="only list the due publications")

    def handle(self, *args: Any, **options: Any) -> None:
        summary = publications_poll_status(
            actor="command:poll_publications", limit=options["limit"], dry_run=options["dry_run"]
        )
        if options["dry_run"]:
            for publication_id in summary.due:
                self.stdout.write(publication_id)
            self.stdout.write(f"{counted(len(summary.due), 'publication')} due (dry run, nothing polled)")
            return
        self.stdout.write(
            f"polled {len(summary.due)}: published {summary.published}, failed {summary.failed}, "
            f"timed out {summary.timed_out}, still processing {summary.still_processing}"
        )
