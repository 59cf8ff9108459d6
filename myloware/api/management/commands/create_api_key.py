"""``manage.py create_api_key NAME``: prints the new key once, alone on the last line."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from myloware.api.services import api_key_create
from myloware.lib.errors import DomainError


class Command(BaseCommand):
    help = "Create an API key for an API consumer; the key is printed once on the last line"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="who will use the key (shown as the actor in audit logs)")

    def handle(self, *args: Any, name: str, **options: Any) -> None:
        try:
            key, raw_key = api_key_create(name=name)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"Created API key {key.name!r} (prefix {key.prefix}). Store it now; it is not shown again:"
        )
        self.stdout.write(raw_key)
