"""``manage.py kb_ingest PATH [--project P] [--persona P] [--prune] [--dry-run] [--prefix X]``."""

from __future__ import annotations

import getpass
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from knowledge.services import kb_ingest
from myloware.lib.commands import MylowareCommand, progress
from myloware.lib.text import counted


class Command(MylowareCommand):
    help = (
        "Ingest a folder of Markdown/JSON into the knowledge base (idempotent; only changed chunks are "
        "re-embedded). Exits non-zero when a file could not be read."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="folder (or single file) to ingest")
        parser.add_argument("--project", help="scope every document to this project (overrides the path)")
        parser.add_argument("--persona", help="scope every document to this persona (overrides the path)")
        parser.add_argument("--prune", action="store_true", help="remove documents whose file is gone")
        parser.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
        parser.add_argument(
            "--prefix",
            help="stored path prefix (default: the folder's name, e.g. kb/architecture.md)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        def files_with_progress(files: list[Path]) -> Iterable[Path]:
            if options["verbosity"] == 0:
                return files
            return progress(files, total=len(files), stream=self.stderr, desc="ingest", unit="file")

        report = kb_ingest(
            root=options["path"],
            actor=f"cli:{getpass.getuser()}",
            project=options["project"],
            persona=options["persona"],
            prune=options["prune"],
            dry_run=options["dry_run"],
            prefix=options["prefix"],
            progress=files_with_progress,
        )
        if options["dry_run"] or options["verbosity"] > 1:
            for line in report.plan:
                self.stdout.write(line)
        for path, reason in report.skipped:
            self.stderr.write(f"skipped {path}: {reason}")
        self.stdout.write(("dry run: " if options["dry_run"] else "") + report.summary())
        if report.skipped:
            raise CommandError(f"{counted(len(report.skipped), 'file')} could not be read", returncode=2)
