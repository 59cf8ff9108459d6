"""zstd for large blobs, compressed by the saver before they reach PostgreSQL.

PostgreSQL compresses a row's large values itself (TOAST, above ~2 KB), but the embedded
server only has pglz (no lz4), which costs the database server several times more CPU than
zstd costs us, on every ``put`` of a growing message list. So blobs of at least
``COMPRESS_MIN_BYTES`` are stored zstd-compressed, marked by a ``+zstd`` suffix on their
``type`` (the convention of LangGraph's ``EncryptedSerializer``, whose types read
``msgpack+aes``), when that makes them smaller; the rest are stored as the serializer made them.
Reads undo it before the serializer sees the bytes, so the serializer never knows.
"""

from __future__ import annotations

import threading

import zstandard

# Below PostgreSQL's TOAST threshold the server would not compress the row either.
COMPRESS_MIN_BYTES = 2048
ZSTD_LEVEL = 1
SUFFIX = "+zstd"

# zstd contexts are not thread-safe and cost more to create than to use: one per thread.
_contexts = threading.local()


def pack(type_: str, blob: bytes) -> tuple[str, bytes]:
    """``(type, blob)`` as stored: compressed (``type`` + ``+zstd``) when large and it helps.

    A serializer type that itself ends in ``+zstd`` is always wrapped, so that reading strips
    exactly the suffix writing added.
    """
    own_suffix = type_.endswith(SUFFIX)
    if len(blob) < COMPRESS_MIN_BYTES and not own_suffix:
        return type_, blob
    compressor = getattr(_contexts, "compressor", None)
    if compressor is None:
        compressor = _contexts.compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
    packed = compressor.compress(blob)
    if len(packed) >= len(blob) and not own_suffix:  # already compressed (media, encrypted values)
        return type_, blob
    return type_ + SUFFIX, packed


def unpack(type_: str, blob: bytes) -> tuple[str, bytes]:
    """The serializer's ``(type, blob)`` back from a stored one."""
    if not type_.endswith(SUFFIX):
        return type_, blob
    decompressor = getattr(_contexts, "decompressor", None)
    if decompressor is None:
        decompressor = _contexts.decompressor = zstandard.ZstdDecompressor()
    return type_[: -len(SUFFIX)], decompressor.decompress(blob)
