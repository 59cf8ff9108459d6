"""The API's one input edge: the rules every text, JSON document and time from a client obeys.

PostgreSQL refuses NUL in text and jsonb, and a lone UTF-16 surrogate cannot be encoded to
UTF-8 at all; unchecked, both would surface as 500s deep in a query. The middleware (query parameters,
path segments), the JSON parser (bodies) and the cursor codec call these checks before any
view runs, so a view only ever sees text the database can store.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from django.conf import settings

from myloware.lib.errors import InvalidInput

# RFC 3339 date-time (what OpenAPI's "date-time" format means), plus what clients commonly send:
# a space for the "T", seconds left out, "+0100" and "+01" offsets. A "+" left unescaped in a
# query string arrives as a space, so " 01:00" is read as "+01:00".
_DATETIME = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})[Tt ]"
    r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2})(?:[.,](?P<fraction>[0-9]+))?)?"
    r"(?P<zone>[Zz]|[+\- ][0-9]{2}(?::?[0-9]{2})?)"
)
# Patterns of the OpenAPI document are ECMA regular expressions, the server's are Python's; they
# read "\s" differently (Python's str.strip() also strips U+001C-U+001F and U+0085), so patterns
# spell whitespace out as WHITESPACE: the exact set of str.isspace(), the same in both dialects.
WHITESPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# A text without NUL, stated on every text the API reads.
NO_NUL_PATTERN = r"^[^\u0000]*$"
# The same, with at least one character that is not whitespace (a required comment, a type).
NON_BLANK_PATTERN = rf"^[^\u0000]*[^{WHITESPACE}\u0000][^\u0000]*$"
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


def text_problem(value: str) -> str | None:
    """Why PostgreSQL could not store ``value`` as text, or None when it can."""
    if "\x00" in value:
        return "must not contain NUL (\\u0000) characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must not contain lone UTF-16 surrogates (\\ud800-\\udfff)"
    return None


def check_text(field: str, value: str) -> None:
    """422 naming ``field`` when ``value`` holds text the database cannot store."""
    problem = text_problem(value)
    if problem:
        raise InvalidInput(f"{field} {problem}", details={"field": field})


def check_json(value: Any, *, field: str = "body") -> None:
    """Walk a parsed JSON document (iteratively) for unstorable text in keys and values, and depth.

    Errors name the JSON path of the offending key or value, e.g. ``payload.steps[2].name``.
    """
    max_depth = settings.API_JSON_MAX_DEPTH
    stack: list[tuple[Any, str, int]] = [(value, field, 0)]
    while stack:
        node, path, depth = stack.pop()
        if depth > max_depth:
            raise too_deep(path)
        if isinstance(node, str):
            check_text(path, node)
        elif isinstance(node, dict):
            for key, item in node.items():
                child = f"{path}.{key}" if path != "body" else key
                if text_problem(key):
                    check_text(f"key of {path}", key)
                stack.append((item, child, depth + 1))
        elif isinstance(node, list):
            stack.extend((item, f"{path}[{index}]", depth + 1) for index, item in enumerate(node))


def too_deep(path: str) -> InvalidInput:
    max_depth = settings.API_JSON_MAX_DEPTH
    return InvalidInput(
        f"JSON nested deeper than {max_depth} levels at {path}",
        details={"field": path, "max_depth": max_depth},
    )


def parse_datetime_param(field: str, raw: str) -> datetime:
    """The one parser of client times (query filters): an aware datetime, or 422 naming ``field``.

    Impossible dates (month 13, 30 February, hour 25) and offsets of a day or more are refused.
    A leap second (``:60``) counts as the last microsecond of its minute. Times that fall outside
    Python's range once moved to UTC (year 1 with a positive offset, 9999-12-31 with a negative
    one) are clamped to the earliest/latest representable instant: as filter bounds they select
    exactly what the exact instant would, since no row is stored there.
    """
    check_text(field, raw)
    match = _DATETIME.fullmatch(raw.strip())
    if match is None:
        raise _bad_time(field)
    parts = {name: int(match[name] or 0) for name in ("year", "month", "day", "hour", "minute", "second")}
    leap = parts["second"] == 60
    if leap:
        parts["second"] = 59
    fraction = (match["fraction"] or "0")[:6].ljust(6, "0")
    try:
        offset = _offset(match["zone"])
        value = datetime(**parts, microsecond=999_999 if leap else int(fraction), tzinfo=offset)
    except ValueError:
        raise _bad_time(field) from None
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return _EARLIEST if value.year == 1 else _LATEST


def _offset(zone: str) -> timezone:
    if zone in ("Z", "z"):
        return UTC
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if minutes >= 60:
        raise ValueError("offset minutes out of range")
    # timezone() itself refuses offsets of 24 hours or more (ValueError).
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _bad_time(field: str) -> InvalidInput:
    return InvalidInput(
        f"{field} must be an existing ISO 8601 time with a zone, e.g. 2026-01-31T12:00:00Z",
        details={"field": field},
    )


def parse_bool_param(field: str, raw: str | None) -> bool | None:
    """The one reader of boolean query parameters: true/false (1/0, yes/no); absent: None."""
    if raw is None:
        return None
    value = raw.strip().lower()
    if value in ("1", "true", "yes"):
        return True
    if value in ("0", "false", "no"):
        return False
    raise InvalidInput(f"{field} must be true or false, got {raw!r}", details={"field": field})
