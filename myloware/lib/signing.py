"""Standard Webhooks (standardwebhooks.com, Svix): one key decoding and one signature, shared by our
sender (decision callbacks to the orchestrator) and our verifier (inbound webhooks), so what we send
is exactly what we accept."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac


def standard_webhook_key(secret: str) -> bytes:
    """``whsec_<base64>`` -> key bytes; a secret that is no base64 is used as its UTF-8 bytes."""
    raw = secret.removeprefix("whsec_")
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return raw.encode()


def standard_webhook_digest(secret: str, *, msg_id: str, timestamp: int | str, body: bytes) -> bytes:
    """HMAC-SHA256 of ``{id}.{timestamp}.{body}`` under the decoded secret."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return hmac.new(standard_webhook_key(secret), signed, hashlib.sha256).digest()


def standard_webhook_signature(secret: str, *, msg_id: str, timestamp: int | str, body: bytes) -> str:
    """The ``webhook-signature`` header value: ``v1,<base64 digest>``."""
    digest = standard_webhook_digest(secret, msg_id=msg_id, timestamp=timestamp, body=body)
    return "v1," + base64.b64encode(digest).decode()
