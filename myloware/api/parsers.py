"""The API's JSON body parser: bounded size, bounded depth, only text PostgreSQL can store."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from myloware.api.input import check_json, too_deep
from myloware.lib.errors import PayloadTooLarge


def body_too_large(limit: int, size: int | None = None) -> PayloadTooLarge:
    described = f"{size} bytes" if size is not None else "The body"
    return PayloadTooLarge(
        f"{described} exceeds the limit of {limit} bytes for a JSON body",
        details={"limit_bytes": limit},
    )


class StrictJSONParser(JSONParser):
    """DRF's JSON parser behind the checks of myloware.api.input.

    The body is read at most ``API_JSON_MAX_BYTES + 1`` bytes (413 beyond), NaN and Infinity are
    refused (jsonb cannot hold them), nesting past ``API_JSON_MAX_DEPTH`` is a 422 (before Python's
    recursion limit could turn it into a 500), and so are NUL and lone surrogates in keys or values.
    """

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        limit = settings.API_JSON_MAX_BYTES
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise body_too_large(limit)
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(raw.decode(encoding), parse_constant=_refuse_constant)
        except RecursionError:
            # Python's recursion limit came first: deeper than API_JSON_MAX_DEPTH anyway.
            raise too_deep("body") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        check_json(data)
        return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")
