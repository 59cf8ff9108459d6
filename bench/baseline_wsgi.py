"""Baseline for bench/webhook_ingest.py: the least a webhook receiver can do.

A bare WSGI app (no Django) that reads the body and runs the one
``INSERT ... ON CONFLICT (provider, idempotency_key) DO NOTHING`` into ``webhook_events`` with
psycopg (one autocommit connection per worker process), then answers JSON. No verification, no
redaction, no enqueue: the floor our intake is compared with.

    BENCH_DSN=postgresql://... gunicorn bench.baseline_wsgi:application
"""

from __future__ import annotations

import json
import os
import uuid

import psycopg

_INSERT = """
INSERT INTO webhook_events (
    id, idempotency_key, provider, headers, payload, signature_status, received_at, status,
    idempotency_rule, signature_reason, query, content_type, attempts
) VALUES (%s, %s, %s, %s::jsonb, %s, 'valid', now(), 'received', 'header:webhook-id', 'ok', '{}'::jsonb, %s, 0)
ON CONFLICT (provider, idempotency_key) DO NOTHING
RETURNING id
"""

_connection: psycopg.Connection | None = None


def _conn() -> psycopg.Connection:
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(os.environ["BENCH_DSN"], autocommit=True)
    return _connection


def application(environ: dict, start_response) -> list[bytes]:  # type: ignore[no-untyped-def]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    key = environ.get("HTTP_WEBHOOK_ID") or uuid.uuid4().hex
    headers = {name[5:]: value for name, value in environ.items() if name.startswith("HTTP_")}
    row = (
        _conn()
        .execute(
            _INSERT,
            [str(uuid.uuid4()), key, "baseline", json.dumps(headers), body, environ.get("CONTENT_TYPE", "")],
        )
        .fetchone()
    )
    answer = json.dumps({"status": "accepted" if row else "duplicate"}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(answer)))])
    return [answer]
