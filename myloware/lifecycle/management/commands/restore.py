"""Restore a backup file into an empty database (docs/operations.md, Backups)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from myloware.lib.commands import MylowareCommand
from myloware.lifecycle.backups import database_restore


class Command(MylowareCommand):
    help = "Restore FILE (written by manage.py backup) into the database, which must be empty"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a file written by manage.py backup")

    def handle(self, *args: Any, **options: Any) -> None:
        tables = database_restore(path=options["file"])
        self.stdout.write(f"restored {tables} tables from {options['file']}")
