"""``manage.py replay_webhooks``: replay dead-letter entries now (re-runs processing on stored events)."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.management.base import CommandError, CommandParser

from myloware.lib.commands import MylowareCommand, positive_int
from myloware.lib.text import counted
from webhooks.services import dlq_replay_many, dlq_select


class Command(MylowareCommand):
    help = (
        "Replay dead-letter entries now: processing runs again on the stored event (nothing is "
        "re-posted). Without --id, every live entry (due or not) matching the filters, oldest first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--id",
            dest="ids",
            type=uuid.UUID,
            action="append",
            default=[],
            metavar="ID",
            help="Entry id, a UUID (repeatable)",
        )
        parser.add_argument("--provider", help="Only entries of this (configured) provider")
        parser.add_argument(
            "--limit", type=positive_int, default=100, help="At most this many entries (default 100)"
        )
        parser.add_argument("--include-dead", action="store_true", help="Also replay entries parked as dead")
        parser.add_argument("--dry-run", action="store_true", help="Only print what would be replayed")

    def handle(self, *args: Any, **options: Any) -> None:
        ids = [str(entry_id) for entry_id in options["ids"]]
        # Entries named by --id are replayed even when dead: naming one is an explicit request.
        entries = dlq_select(
            ids=ids or None,
            provider=options["provider"],
            include_dead=options["include_dead"] or bool(ids),
            limit=options["limit"],
        )
        missing = sorted(set(ids) - {str(entry.pk) for entry in entries})
        for entry_id in missing:
            self.stderr.write(f"{entry_id}: no such dead-letter entry")
        if options["dry_run"]:
            for entry in entries:
                state = "dead" if entry.is_dead else f"retry {entry.retry_count}"
                self.stdout.write(
                    f"would replay {entry.pk} {entry.provider} {entry.idempotency_key} ({state}): {entry.error}"
                )
            self.stdout.write(f"dry run: {len(entries)} entries would be replayed")
            return
        results = dlq_replay_many(
            entry_ids=[str(entry.pk) for entry in entries], actor="command:replay_webhooks"
        )
        for result in results:
            line = f"{result.entry_id} {result.provider} event {result.event_id or '-'}: {result.outcome}"
            self.stdout.write(line + (f" ({result.error})" if result.error and not result.ok else ""))
        succeeded = sum(1 for result in results if result.ok)
        failed = len(results) - succeeded
        self.stdout.write(f"replayed {len(results)}: {succeeded} succeeded, {failed} failed")
        problems = []
        if failed:
            problems.append(f"{counted(failed, 'replay')} failed")
        if missing:
            problems.append(f"{counted(len(missing), 'id')} not found")
        if problems:
            raise CommandError(", ".join(problems))
