"""Back up the database to a file (pg_dump's custom format; docs/operations.md, Backups)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from myloware.lib.commands import MylowareCommand
from myloware.lifecycle.backups import database_backup


class Command(MylowareCommand):
    help = "Write a consistent backup of the database (embedded or DATABASE_URL) to FILE"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the backup file to write (replaced if it exists)")

    def handle(self, *args: Any, **options: Any) -> None:
        result = database_backup(path=options["file"])
        self.stdout.write(f"backed up {result.tables} tables to {result.path} ({result.size} bytes)")
