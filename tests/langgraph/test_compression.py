"""Large blobs are stored zstd-compressed and come back byte for byte; the rest are untouched."""

from __future__ import annotations

import hashlib

from runs.langgraph import compression


def incompressible(size: int) -> bytes:
    """Deterministic bytes with no redundancy (SHA-256 output), like media or encrypted values."""
    chunks = (hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(size // 32 + 1))
    return b"".join(chunks)[:size]


def test_a_large_compressible_blob_is_stored_smaller_and_read_back_exactly() -> None:
    blob = b'{"content": "a calmer take on the soap-cutting idea"}' * 100

    stored_type, stored = compression.pack("msgpack", blob)

    assert stored_type == "msgpack+zstd"
    assert stored is not None and len(stored) < len(blob) / 10
    assert compression.unpack(stored_type, stored) == ("msgpack", blob)


def test_small_and_incompressible_blobs_are_stored_as_the_serializer_made_them() -> None:
    small = b"x" * (compression.COMPRESS_MIN_BYTES - 1)
    noise = incompressible(64 * 1024)

    assert compression.pack("msgpack", small) == ("msgpack", small)
    assert compression.pack("bytes", noise) == ("bytes", noise)
    assert compression.unpack("msgpack", small) == ("msgpack", small)


def test_a_serializer_type_with_its_own_suffix_keeps_it() -> None:
    blob = b"encrypted-looking but repetitive " * 200

    stored_type, stored = compression.pack("msgpack+aes", blob)

    assert stored_type == "msgpack+aes+zstd"
    assert compression.unpack(stored_type, stored) == ("msgpack+aes", blob)


def test_a_serializer_type_ending_in_zstd_is_wrapped_so_it_reads_back_unchanged() -> None:
    for blob in (b"tiny", incompressible(4096), b"zstd frame of a serializer's own " * 100):
        stored_type, stored = compression.pack("msgpack+zstd", blob)

        assert stored_type == "msgpack+zstd+zstd"
        assert compression.unpack(stored_type, stored) == ("msgpack+zstd", blob)
