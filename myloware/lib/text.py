"""Counts in words for the console and its messages: "1 entry", "3 entries"."""

from __future__ import annotations

from django.utils.translation import ngettext


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """The count and its noun in the right number (ngettext's rule); the plural defaults to
    the singular plus "s"."""
    return f"{count:,} {ngettext(singular, plural or f'{singular}s', count)}"
