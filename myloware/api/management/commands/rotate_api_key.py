"""``manage.py rotate_api_key NAME [--grace HOURS]``: a new key for the same consumer, printed once
alone on the last line; the old key keeps working for the grace period."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser
from django.utils import timezone

from myloware.api.services import api_key_rotate
from myloware.lib.commands import MylowareCommand


class Command(MylowareCommand):
    help = (
        "Give an API key a new secret (same name and scopes); the old one stays valid for the grace "
        "period. The new key is printed once on the last line"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument(
            "--grace",
            type=float,
            metavar="HOURS",
            help="how long the old key keeps working; 0 ends it now "
            f"(default API_KEY_ROTATION_GRACE_HOURS, {settings.API_KEY_ROTATION_GRACE_HOURS:g})",
        )

    def handle(self, *args: Any, name: str, grace: float | None, **options: Any) -> None:
        key, raw_key = api_key_rotate(name=name, now=timezone.now(), grace_hours=grace)
        self.stdout.write(
            f"Rotated API key {key.name!r} (scopes {', '.join(key.scopes)}): the old key (prefix "
            f"{key.previous_prefix}) works until {key.previous_valid_until:%Y-%m-%d %H:%M:%S %Z}. "
            "Store the new key now; it is not shown again:"
        )
        self.stdout.write(raw_key)
