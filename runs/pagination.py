"""Keyset ("seek") pagination on (timestamp, unique key), for the runs and artifacts lists.

DRF's CursorPagination seeks on the first ordering field only and then skips with an offset
among equal timestamps; here the cursor carries both values and the next page is one row
comparison ``(created_at, key) < (%s, %s)`` on an index ending with the key, so a page a million
rows deep costs what the first page costs. No COUNT(*); stable under concurrent inserts (new
rows sort before the first page and never shift later pages).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Model, QuerySet
from rest_framework.request import Request

from myloware.lib.errors import InvalidInput


def encode_cursor(at: datetime, key: Any) -> str:
    raw = json.dumps([at.isoformat(), str(key)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, key = json.loads(raw)
        return datetime.fromisoformat(at), str(key)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise InvalidInput("cursor is malformed; use the next_cursor of a previous page") from None


def page_limit(request: Request) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return settings.RUNS_PAGE_SIZE
    try:
        limit = int(raw)
    except ValueError:
        raise InvalidInput("limit must be an integer") from None
    if not 1 <= limit <= settings.RUNS_MAX_PAGE_SIZE:
        raise InvalidInput(f"limit must be between 1 and {settings.RUNS_MAX_PAGE_SIZE}")
    return limit


def keyset_page(
    request: Request,
    queryset: QuerySet,
    *,
    time_field: str,
    key_field: str,
    descending: bool,
    serialize: Callable[[list[Model]], list[dict[str, Any]]],
) -> dict[str, Any]:
    """One page of ``queryset`` ordered by (time_field, key_field) and the cursor of the next."""
    limit = page_limit(request)
    table = queryset.model._meta.db_table
    time_col = queryset.model._meta.get_field(time_field).column
    key_col = queryset.model._meta.get_field(key_field).column
    cursor = request.query_params.get("cursor")
    if cursor:
        at, key = decode_cursor(cursor)
        op = "<" if descending else ">"
        # Column names come from the model's metadata, never from input.
        where = f'("{table}"."{time_col}", "{table}"."{key_col}") {op} (%s, %s)'
        queryset = queryset.extra(where=[where], params=[at, key])  # noqa: S610
    sign = "-" if descending else ""
    rows = list(queryset.order_by(f"{sign}{time_field}", f"{sign}{key_field}")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(getattr(rows[-1], time_field), getattr(rows[-1], key_field)) if more else None
    return {
        "results": serialize(rows),
        "next_cursor": next_cursor,
        "next": _next_url(request, next_cursor),
    }


def _next_url(request: Request, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    params = {k: v for k, v in request.query_params.items() if k != "cursor"}
    params["cursor"] = cursor
    return request.build_absolute_uri(request.path) + "?" + urlencode(params)
