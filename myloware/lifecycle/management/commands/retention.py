"""Apply the retention policy: a dry run by default (per table, what would go), ``--apply`` removes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils import timezone

from myloware.lib.commands import MylowareCommand, positive_int
from myloware.lifecycle.services import retention_run


class Command(MylowareCommand):
    help = "Print per table what the retention policy removes now; --apply removes it (docs/operations.md)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--apply", action="store_true", help="remove the rows (default: a dry run)")
        parser.add_argument("--batch", type=positive_int, help="rows per transaction (RETENTION_BATCH)")

    def handle(self, *args: Any, **options: Any) -> None:
        results = retention_run(now=timezone.now(), apply=options["apply"], batch=options["batch"])
        for result in results:
            self.stdout.write(result.summary())
        if not options["apply"]:
            self.stdout.write("dry run: nothing removed (--apply removes)")
