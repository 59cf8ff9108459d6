"""Admin plumbing shared by the apps: fast changelists on big tables, safe display of raw bodies,
links between the apps' pages."""

from __future__ import annotations

import contextlib
import hashlib
import json
from datetime import datetime
from typing import Any, ClassVar

from django.contrib.admin.utils import quote
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.html import format_html

BODY_DISPLAY_LIMIT = 64 * 1024


class EstimatedCountPaginator(Paginator):
    """Uses the planner's row estimate (pg_class.reltuples) for unfiltered changelists.

    ``COUNT(*)`` on a table of millions of rows takes seconds; an estimate is what a page
    navigator needs. Filtered querysets are usually small and still counted exactly.
    """

    @cached_property
    def count(self) -> int:
        object_list = self.object_list
        if isinstance(object_list, QuerySet) and not object_list.query.where:
            estimate = _estimated_rows(object_list.model._meta.db_table)
            if estimate is not None and estimate > 10_000:
                return estimate
        return super().count


def _estimated_rows(table: str) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)", [table])
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] >= 0 else None


class BigTableAdminMixin:
    """For changelists of big tables: no full count, estimated pagination."""

    show_full_result_count = False
    paginator: ClassVar[type[Paginator]] = EstimatedCountPaginator
    list_per_page = 50


def pretty_body(raw: bytes | memoryview | str | None, limit: int = BODY_DISPLAY_LIMIT) -> str:
    """Render a raw request body safely: escaped, size-capped, pretty-printed when JSON."""
    if raw is None:
        return "—"
    data = bytes(raw) if not isinstance(raw, str) else raw.encode()
    truncated = len(data) > limit
    text = data[:limit].decode("utf-8", errors="replace")
    if not truncated:
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False, sort_keys=True)
    note = f"\n… truncated: {len(data):,} bytes in total" if truncated else ""
    return format_html('<pre class="pretty-body">{}{}</pre>', text, note)


def when(moment: datetime | None) -> str:
    """The console's one time format (DATETIME_FORMAT: seconds and the time zone)."""
    if moment is None:
        return "—"
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def raw_body(raw: bytes | memoryview | None, limit: int = BODY_DISPLAY_LIMIT) -> str:
    """A request body exactly as received: its size and SHA-256, then the bytes as UTF-8 text
    when they decode, else as hex. Never re-serialised (a JSON re-dump hides what was signed)."""
    if raw is None:
        return "—"
    data = bytes(raw)
    shown = data[:limit]
    try:
        text, encoding = shown.decode("utf-8"), "UTF-8 text"
    except UnicodeDecodeError as exc:
        if len(data) <= len(shown) or exc.start < len(shown) - 3:  # not a character cut by the limit
            text, encoding = _hex_dump(shown), "not UTF-8: hex"
        else:
            text, encoding = shown[: exc.start].decode("utf-8"), "UTF-8 text"
    note = f"\n… truncated: showing {len(shown):,} of {len(data):,} bytes" if len(data) > limit else ""
    return format_html(
        '<div class="raw-body-meta"><span class="raw-body-size">{} bytes</span> · {} · SHA-256 '
        '<code class="raw-body-sha256">{}</code></div><pre class="raw-body">{}{}</pre>',
        f"{len(data):,}",
        encoding,
        hashlib.sha256(data).hexdigest(),
        text,
        note,
    )


def _hex_dump(data: bytes, width: int = 16) -> str:
    lines = []
    for offset in range(0, len(data), width):
        chunk = data[offset : offset + width]
        printable = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{offset:08x}  {chunk.hex(' '):<{width * 3}} {printable}")
    return "\n".join(lines)


def pretty_json(value: Any) -> str:
    return format_html(
        '<pre class="pre-wrap">{}</pre>',
        json.dumps(value, indent=2, ensure_ascii=False, default=str),
    )


class ReadOnlyAdminMixin:
    """For audit tables written only by services: viewable, never added, edited or deleted here."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


def safe_link(url: str | None) -> str:
    """An outbound link (http/https only: a ``javascript:`` URL stays text), cut to 80 characters."""
    if url and url.startswith(("https://", "http://")):
        return format_html('<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', url, url[:80])
    return url or "—"


def run_link(run_id: str | None, *, exists: bool = True) -> str:
    """A link to the run's page (run ids may hold characters the admin quotes); a run that does
    not exist is named in plain text, never linked to a 404."""
    if not run_id:
        return "—"
    if not exists:
        return format_html('<span class="run-unknown" title="No run with this id exists">{}</span>', run_id)
    return format_html('<a href="{}">{}</a>', reverse("admin:runs_run_change", args=[quote(run_id)]), run_id)
