"""``manage.py kb_search "query" [--project] [--persona] [--k] [--mode] [--run-id]``."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import CommandParser

from knowledge.services import SEARCH_MODES, kb_search
from myloware.lib.commands import MylowareCommand


class Command(MylowareCommand):
    help = "Search the knowledge base and print ranked results with scores and snippets"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("query")
        parser.add_argument("--project", help="a project's documents plus global ones (a known project)")
        parser.add_argument("--persona")
        parser.add_argument("--k", type=int, default=5)
        parser.add_argument("--mode", choices=SEARCH_MODES, default="vector")
        parser.add_argument("--run-id", help="record retrieval.trace and citations artifacts on this run")

    def handle(self, *args: Any, **options: Any) -> None:
        response = kb_search(
            query=options["query"],
            actor=f"cli:{getpass.getuser()}",
            k=options["k"],
            project=options["project"],
            persona=options["persona"],
            mode=options["mode"],
            run_id=options["run_id"],
        )
        for rank, hit in enumerate(response.hits, 1):
            scope = ", ".join(
                filter(
                    None, [hit.project and f"project {hit.project}", hit.persona and f"persona {hit.persona}"]
                )
            )
            self.stdout.write(f"{rank}. {hit.score:.4f}  {hit.path}#{hit.chunk_index}  [{scope or 'global'}]")
            self.stdout.write(f"   {hit.snippet}")
        self.stdout.write(
            f"{len(response.hits)} results in {response.latency_ms:.1f} ms ({response.mode}, {response.model})"
        )
        if response.trace_id:
            self.stdout.write(
                f"recorded retrieval.trace {response.trace_id} and citations {response.citations_id}"
            )
