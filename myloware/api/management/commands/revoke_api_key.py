"""``manage.py revoke_api_key NAME``: the key is refused from now on (kept for audit)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from myloware.api.services import api_key_revoke
from myloware.lib.commands import MylowareCommand


class Command(MylowareCommand):
    help = "Revoke an API key by name: it is refused from now on (the row stays, for audit)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")

    def handle(self, *args: Any, name: str, **options: Any) -> None:
        key = api_key_revoke(name=name)
        self.stdout.write(f"Revoked API key {key.name!r} at {key.revoked_at:%Y-%m-%d %H:%M:%S %Z}")
