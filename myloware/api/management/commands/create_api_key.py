"""``manage.py create_api_key NAME --scope runs --scope artifacts …``: prints the new key once,
alone on the last line. ``--scope`` is repeatable and takes comma-separated lists too."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from myloware.api.models import ALL_SCOPES
from myloware.api.services import api_key_create
from myloware.lib.commands import MylowareCommand


class Command(MylowareCommand):
    help = "Create an API key for an API consumer; the key is printed once on the last line"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="who will use the key (shown as the actor in audit logs)")
        parser.add_argument(
            "--scope",
            action="append",
            default=[],
            required=True,
            dest="scopes",
            help=f"what the key may do (repeat or comma-separate): {', '.join(ALL_SCOPES)}",
        )

    def handle(self, *args: Any, name: str, scopes: list[str], **options: Any) -> None:
        wanted = [scope for value in scopes for scope in value.split(",")]
        key, raw_key = api_key_create(name=name, scopes=wanted)
        self.stdout.write(
            f"Created API key {key.name!r} (prefix {key.prefix}, scopes {', '.join(key.scopes)}). "
            "Store it now; it is not shown again:"
        )
        self.stdout.write(raw_key)
