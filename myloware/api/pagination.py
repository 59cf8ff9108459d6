"""The API's one paginator: keyset ("seek") pages on (timestamp, unique key) for every list.

Every list answers ``{results, next_cursor, next}``. The cursor carries the last row's timestamp
and key, and the next page is one row comparison ``(created_at, key) < (%s, %s)`` on an index
ending with the key, so a page a million rows deep costs what the first page costs. No COUNT(*);
stable under concurrent inserts (new rows sort before the first page and never shift later
pages). A cursor that does not decode to a (time, key) pair of the list is one 422, whatever the
list.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Model, QuerySet
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.request import Request

from myloware.lib.errors import InvalidInput

# The cursor is "<microseconds since 1970 UTC>~<key>" of the last row of the previous page: readable
# and stated exactly by a pattern per list, so any value the pattern admits is a valid position.
UUID_KEY = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def cursor_pattern(key_pattern: str = UUID_KEY) -> str:
    # Plain groups: OpenAPI patterns are ECMA regular expressions (no named groups).
    return rf"^([0-9]{{1,17}})~({key_pattern})$"


def page_parameters(key_pattern: str = UUID_KEY) -> list[OpenApiParameter]:
    """The OpenAPI parameters of a list paged on keys matching ``key_pattern``."""
    return [
        OpenApiParameter(
            "cursor", str, pattern=cursor_pattern(key_pattern), description="next_cursor of the previous page"
        ),
        OpenApiParameter(
            "limit",
            {"type": "integer", "minimum": 1, "maximum": settings.API_MAX_PAGE_SIZE},
            description=f"Page size (default {settings.API_PAGE_SIZE})",
        ),
    ]


PAGE_PARAMETERS = page_parameters()


def encode_cursor(at: datetime, key: Any) -> str:
    delta = at - _EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return f"{micros}~{key}"


def decode_cursor(cursor: str, key_pattern: str = UUID_KEY) -> tuple[datetime, str]:
    """The (time, key) of ``cursor``, or the one 422 of a cursor that is no position of the list."""
    match = re.fullmatch(cursor_pattern(key_pattern), cursor)
    if match is None:
        raise InvalidInput(
            "cursor is malformed; use the next_cursor of a previous page", details={"field": "cursor"}
        )
    micros, key = match.groups()
    return _EPOCH + timedelta(microseconds=int(micros)), key


def page_limit(request: Request) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return settings.API_PAGE_SIZE
    try:
        limit = int(raw)
    except ValueError:
        raise InvalidInput("limit must be an integer", details={"field": "limit"}) from None
    if not 1 <= limit <= settings.API_MAX_PAGE_SIZE:
        raise InvalidInput(
            f"limit must be between 1 and {settings.API_MAX_PAGE_SIZE}", details={"field": "limit"}
        )
    return limit


def keyset_page(
    request: Request,
    queryset: QuerySet,
    *,
    time_field: str = "created_at",
    key_field: str = "id",
    key_pattern: str = UUID_KEY,
    descending: bool,
    serialize: Callable[[list[Model]], Any],
) -> dict[str, Any]:
    """One page of ``queryset`` ordered by (time_field, key_field) and the cursor of the next."""
    limit = page_limit(request)
    meta = queryset.model._meta
    table, time_col, key_col = (
        meta.db_table,
        meta.get_field(time_field).column,
        meta.get_field(key_field).column,
    )
    cursor = request.query_params.get("cursor")
    if cursor is not None:
        after_at, after_key = decode_cursor(cursor, key_pattern)
        op = "<" if descending else ">"
        # Column names come from the model's metadata, never from input.
        where = f'("{table}"."{time_col}", "{table}"."{key_col}") {op} (%s, %s)'
        queryset = queryset.extra(where=[where], params=[after_at, after_key])  # noqa: S610
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


def page_serializer(item: type[serializers.Serializer], name: str) -> serializers.Serializer:
    """The OpenAPI shape of a page of ``item`` (one component per list, e.g. RunPage)."""
    page = type(
        name,
        (serializers.Serializer,),
        {
            "results": item(many=True),
            "next_cursor": serializers.CharField(
                allow_null=True, help_text="Pass as ?cursor= for the next page; null on the last page"
            ),
            "next": serializers.URLField(allow_null=True, help_text="The next page's URL; null on the last"),
            "__module__": item.__module__,
        },
    )
    return page()
