"""Idempotency keys and run ids of inbound events (providers.md, "Idempotency keys").

First match wins, and the rule that produced the key is stored with the event:
1. an explicit delivery id header: ``webhook-id`` / ``svix-id``, ``Idempotency-Key``, ``X-Request-Id``;
2. a provider field: kie.ai ``data.taskId`` + result state; Shotstack ``id`` + ``type`` + ``status``;
   upload-post ``job_id`` (or ``publish_id``) + ``platform`` + ``event``;
3. SHA-256 of the raw body.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from webhooks.verification import kieai_task_id

HEADER_RULES = ("webhook-id", "svix-id", "idempotency-key", "x-request-id")
# Longer keys (or keys with characters PostgreSQL TEXT can't hold) are hashed.
MAX_KEY_LENGTH = 200
MAX_RUN_ID_LENGTH = 200


def _clean(value: str) -> str:
    if len(value) > MAX_KEY_LENGTH or "\x00" in value:
        return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return value


def _text(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value)


def _provider_field(handler: str, payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return None
    if handler == "kieai":
        task_id = kieai_task_id(payload)
        return f"{task_id}:{_text(payload.get('code'))}" if task_id else None
    if handler == "shotstack":
        if not _text(payload.get("id")):
            return None
        return ":".join(_text(payload.get(name)) for name in ("id", "type", "status"))
    if handler == "upload-post":
        result = payload.get("result")
        if not isinstance(result, dict):
            result = {}
        job = (
            _text(payload.get("job_id"))
            or _text(payload.get("publish_id"))
            or _text(result.get("publish_id"))
        )
        if not job:
            return None
        return f"{job}:{_text(payload.get('platform'))}:{_text(payload.get('event'))}"
    return None


def idempotency_key(
    *, handler: str, headers: Mapping[str, str], payload: Any, body: bytes
) -> tuple[str, str]:
    """``(key, rule)`` for a request; ``headers`` has lower-case names."""
    for name in HEADER_RULES:
        value = headers.get(name, "").strip()
        if value:
            return _clean(value), f"header:{name}"
    field = _provider_field(handler, payload)
    if field:
        return _clean(field), f"field:{handler}"
    return hashlib.sha256(body).hexdigest(), "body-sha256"


def unverified_key(key: str, body: bytes) -> str:
    """The key stored for a request that failed verification.

    A forged or broken request must never occupy the key of the real delivery (the original
    stack stored events before judging the signature, so a forgery could pre-empt it); retries
    of the same bad request still collapse into one audit row.
    """
    digest = hashlib.sha256(key.encode() + b"\x00" + body).hexdigest()
    return f"unverified:{digest}"


def find_run_id(*, query: Mapping[str, str], payload: Any) -> str | None:
    """The run an event concerns: ``?run_id=`` on the callback URL, else a run id in the payload."""
    candidates: list[Any] = [query.get("run_id"), query.get("runId")]
    if isinstance(payload, dict):
        for container in (payload, payload.get("data"), payload.get("metadata")):
            if isinstance(container, dict):
                candidates += [container.get("run_id"), container.get("runId")]
        data = payload.get("data")
        if isinstance(data, dict) and isinstance(data.get("metadata"), dict):
            candidates += [data["metadata"].get("run_id"), data["metadata"].get("runId")]
    for value in candidates:
        if (
            isinstance(value, str)
            and value.strip()
            and len(value) <= MAX_RUN_ID_LENGTH
            and "\x00" not in value
        ):
            return value.strip()
    return None
