"""Readable JSON of LangGraph channel values, for ``orchestration_checkpoints.state``.

The admin shows that column as a run's "in-flight state". Values JSON can express are kept as
they are; anything else (LangChain messages, bytes, sets, NaN, NUL characters PostgreSQL's
JSONB refuses, ...) becomes a short description such as ``"<AIMessage: Here are three ideas…>"``.
Nothing is lost: the real value is in ``langgraph_checkpoint_blobs``, written with LangGraph's
own serializer.
"""

from __future__ import annotations

import math
import operator
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import orjson

PREVIEW_CHARS = 80
MAX_DEPTH = 32
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1
_NUL_ESCAPE = b"\\u0000"


def is_internal_channel(name: str) -> bool:
    """LangGraph's control-flow channels (``__start__``, ``branch:to:x``) are not state."""
    return name.startswith("__") or ":" in name


def encode_value(value: Any) -> bytes:
    """JSON for one channel value.

    orjson walks the value in C and asks ``describe`` only for what it can't encode (a message
    list costs half the Python walk); the walk is the fallback for what orjson refuses (ints
    beyond 64 bits, exotic dict keys) and for NUL characters, which JSONB refuses. A non-finite
    float on its own reads as a description; nested in a value orjson writes it as ``null``
    (JSON has no NaN). The blob keeps the exact value either way.
    """
    if isinstance(value, float) and not math.isfinite(value):
        return orjson.dumps(describe(value))
    try:
        encoded = orjson.dumps(value, default=describe, option=orjson.OPT_NON_STR_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        return orjson.dumps(readable(value))
    return orjson.dumps(readable(value)) if _NUL_ESCAPE in encoded else encoded


def encode_state(fragments: dict[str, bytes]) -> bytes:
    """Assemble already-encoded channel values into one JSON object (UTF-8)."""
    parts = [orjson.dumps(name) + b":" + fragment for name, fragment in fragments.items()]
    return b"{" + b",".join(parts) + b"}"


class StateEncoder:
    """The readable JSON of a thread's channel values, encoding only what changed since last time.

    A channel value is encoded once per version (LangGraph gives every write a new version). A
    list that grew by appending — a message list, step after step — is encoded as its previous
    JSON plus the new items, found by identity, so a long conversation costs its new messages
    only. (An element mutated in place, which LangGraph's reducers never do, would keep its
    old description until the channel is written anew.)
    """

    def __init__(self, *, fragments: int = 4096, lists: int = 256) -> None:
        self._fragments: OrderedDict[tuple[str, str, str], bytes] = OrderedDict()
        self._lists: OrderedDict[tuple[str, str], tuple[list[Any], bytes]] = OrderedDict()
        self._limits = (fragments, lists)
        self._lock = threading.Lock()

    def encode(self, thread_id: str, values: Mapping[str, Any], versions: Mapping[str, Any]) -> bytes:
        fragments: dict[str, bytes] = {}
        for channel, value in values.items():
            if is_internal_channel(channel):
                continue
            if channel not in versions:  # no version to key a cache entry on
                fragments[channel] = encode_value(value)
            else:
                fragments[channel] = self._fragment(thread_id, channel, str(versions[channel]), value)
        return encode_state(fragments)

    def _fragment(self, thread_id: str, channel: str, version: str, value: Any) -> bytes:
        key = (thread_id, channel, version)
        with self._lock:
            cached = self._fragments.get(key)
            previous = self._lists.get((thread_id, channel)) if isinstance(value, list) else None
        if cached is not None:
            return cached
        fragment = _appended(previous, value) if previous is not None else None
        if fragment is None:
            fragment = encode_value(value)
        with self._lock:
            _remember(self._fragments, key, fragment, self._limits[0])
            if isinstance(value, list):
                # A copy: a list appended to in place must not look unchanged next time.
                _remember(self._lists, (thread_id, channel), (list(value), fragment), self._limits[1])
        return fragment


def _appended(previous: tuple[list[Any], bytes], value: list[Any]) -> bytes | None:
    """``value``'s JSON from the previous list's, when ``value`` only appended items to it."""
    items, fragment = previous
    if len(value) < len(items) or not all(map(operator.is_, items, value)):
        return None
    tail = value[len(items) :]
    if not tail:
        return fragment
    encoded_tail = encode_value(tail)
    return fragment[:-1] + (b"," if items else b"") + encoded_tail[1:]


def _remember(cache: OrderedDict[Any, Any], key: Any, value: Any, limit: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    if len(cache) > limit:
        cache.popitem(last=False)


def readable(value: Any, depth: int = 0) -> Any:
    """A JSON-expressible copy of ``value``; what JSON can't express becomes a description."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if _INT_MIN <= value <= _INT_MAX else describe(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else describe(value)
    if isinstance(value, str):
        return value.replace("\x00", "\\u0000")
    if depth >= MAX_DEPTH:
        return describe(value)
    if isinstance(value, dict):
        return {_readable_key(key): readable(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [readable(item, depth + 1) for item in value]
    return describe(value)


def describe(value: Any) -> str:
    """``<TypeName: preview>`` — short, and cheap even for large values."""
    name = type(value).__name__
    content = getattr(value, "content", None)
    if isinstance(content, str):
        preview = content
    elif isinstance(value, bytes | bytearray | memoryview):
        preview = f"{len(value)} bytes"
    elif isinstance(value, set | frozenset | list | tuple | dict):
        preview = f"{len(value)} items"
    else:
        preview = repr(value)
    preview = preview.replace("\x00", "\\u0000")
    if len(preview) > PREVIEW_CHARS:
        preview = preview[: PREVIEW_CHARS - 1] + "…"
    return f"<{name}: {preview}>"


def _readable_key(key: Any) -> str:
    if isinstance(key, str):
        return key.replace("\x00", "\\u0000")
    if key is None or isinstance(key, bool | int | float):
        return str(key)
    return describe(key)
