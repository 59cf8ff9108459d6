"""``manage.py kb_reembed [--all] [--now]``: give documents vectors of the active model."""

from __future__ import annotations

import getpass
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from knowledge.embedding import active_model
from knowledge.models import KbDocument
from knowledge.services import kb_embed_documents, kb_reembed
from myloware.lib.commands import MylowareCommand, progress


class Command(MylowareCommand):
    help = (
        "Re-embed documents lacking a vector of the active model (after a model change: all). "
        "Jobs go to the django-q2 cluster unless --now embeds in this process."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="re-embed every document, even current ones")
        parser.add_argument("--now", action="store_true", help="embed here, showing progress")

    def handle(self, *args: Any, **options: Any) -> None:
        ids = kb_reembed(actor=f"cli:{getpass.getuser()}", everything=options["all"])
        self.stdout.write(f"{len(ids)} documents marked for model {active_model()}")
        if not options["now"]:
            self.stdout.write("embedding jobs queued (run `manage.py qcluster` to process them)")
            return
        size = settings.KB_EMBED_BATCH_SIZE
        batches = [ids[start : start + size] for start in range(0, len(ids), size)]
        embedded = failed = 0
        for batch in progress(batches, total=len(batches), stream=self.stderr, desc="embed", unit="batch"):
            outcome = kb_embed_documents(doc_ids=batch)
            embedded, failed = embedded + outcome.embedded, failed + outcome.failed
        waiting = KbDocument.objects.waiting_for_vector(active_model()).count()
        self.stdout.write(f"{embedded} embedded, {failed} failed, {waiting} still waiting")
        if failed:
            raise CommandError(f"{failed} documents failed to embed", returncode=2)
