"""Readable JSON of LangGraph channel values, for ``orchestration_checkpoints.state``.

The admin shows that column as a run's "in-flight state". Values JSON can express are kept as
they are; anything else (LangChain messages, bytes, sets, NaN, NUL characters PostgreSQL's
JSONB refuses, ...) becomes a short description such as ``"<AIMessage: Here are three ideas…>"``.
Nothing is lost: the real value is in ``langgraph_checkpoint_blobs``, written with LangGraph's
own serializer.
"""

from __future__ import annotations

import functools
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


@functools.lru_cache(maxsize=4096)
def _member_prefix(name: str) -> bytes:
    return orjson.dumps(name) + b":"


class _Seen:
    """What the encoder remembers of one channel of a thread: its last version and JSON."""

    __slots__ = ("fragment", "items", "version")

    def __init__(self, version: Any, fragment: bytes, items: list[Any] | None) -> None:
        self.version, self.fragment, self.items = version, fragment, items


class StateEncoder:
    """The readable JSON of a thread's channel values, encoding only what changed since last time.

    A channel value is encoded once per version (LangGraph gives every write a new version). A
    list that grew by appending — a message list, step after step — is encoded as its previous
    JSON plus the new items, found by identity, so a long conversation costs its new messages
    only. (An element mutated in place, which LangGraph's reducers never do, would keep its
    old description until the channel is written anew.) One record per thread, the last
    ``threads`` threads kept.
    """

    def __init__(self, *, threads: int = 256) -> None:
        self._threads: OrderedDict[str, dict[str, _Seen]] = OrderedDict()
        self._limit = threads
        self._lock = threading.Lock()

    def encode(self, thread_id: str, values: Mapping[str, Any], versions: Mapping[str, Any]) -> bytes:
        # The thread's record is taken out while this encode uses it: a concurrent encode of the
        # same thread (LangGraph runs one loop per thread, so rarely) starts afresh, still right.
        with self._lock:
            seen = self._threads.pop(thread_id, None) or {}
        members = [
            _member_prefix(channel) + _fragment(seen, channel, versions.get(channel), value)
            for channel, value in values.items()
            if not is_internal_channel(channel)
        ]
        with self._lock:
            self._threads[thread_id] = seen
            if len(self._threads) > self._limit:
                self._threads.popitem(last=False)
        return b"{" + b",".join(members) + b"}"


def _fragment(seen: dict[str, _Seen], channel: str, version: Any, value: Any) -> bytes:
    """The channel value's JSON: remembered when its version did not change, else (re)encoded."""
    last = seen.get(channel)
    if last is not None and version is not None and last.version == version:
        return last.fragment
    fragment = None
    if isinstance(value, list) and last is not None and last.items is not None:
        fragment = _appended(last.items, last.fragment, value)
    if fragment is None:
        fragment = encode_value(value)
    if version is not None:  # without a version there is nothing to recognise it by next time
        # A copy of a list: one appended to in place must not look unchanged next time.
        seen[channel] = _Seen(version, fragment, list(value) if isinstance(value, list) else None)
    return fragment


def _appended(items: list[Any], fragment: bytes, value: list[Any]) -> bytes | None:
    """``value``'s JSON from the previous list's (``items``, ``fragment``), when it only appended."""
    if len(value) < len(items) or not all(map(operator.is_, items, value)):
        return None
    tail = value[len(items) :]
    if not tail:
        return fragment
    encoded_tail = encode_value(tail)
    return fragment[:-1] + (b"," if items else b"") + encoded_tail[1:]


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
