"""``manage.py revoke_api_key NAME``: the key is refused from now on (kept for audit)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from myloware.api.services import api_key_revoke
from myloware.lib.errors import DomainError


class Command(BaseCommand):
    help = "Revoke an API key by name"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")

    def handle(self, *args: Any, name: str, **options: Any) -> None:
        try:
            key = api_key_revoke(name=name)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Revoked API key {key.name!r} at {key.revoked_at:%Y-%m-%d %H:%M:%S %Z}")
