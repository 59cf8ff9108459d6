"""Signature verification schemes, on the raw body bytes exactly as received.

Each scheme returns a :class:`Verdict`: ``valid``, ``invalid`` or ``missing`` (the seed's values)
with a reason (``ok``, ``mismatch``, ``stale``, ``future``, ``malformed``, ``no_signature``,
``empty_signature``, ``no_secret_configured``). Secrets come only from configuration and are
compared in constant time; a malformed header is ``invalid``, never an exception.
See docs/webhooks.md for the schemes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from myloware.lib.signing import standard_webhook_digest, standard_webhook_signature
from webhooks.conf import ProviderConfig
from webhooks.models import SignatureStatus

_HEX_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_DIGITS = re.compile(r"^[0-9]{1,20}$")
# A kie.ai timestamp above this is in milliseconds (1e11 s is the year 5138).
_MILLISECONDS_THRESHOLD = 100_000_000_000


@dataclass(frozen=True)
class Verdict:
    status: str
    reason: str

    @property
    def is_valid(self) -> bool:
        return self.status == SignatureStatus.VALID


VALID = Verdict(SignatureStatus.VALID, "ok")


def _invalid(reason: str) -> Verdict:
    return Verdict(SignatureStatus.INVALID, reason)


def _missing(reason: str) -> Verdict:
    return Verdict(SignatureStatus.MISSING, reason)


def verify(
    config: ProviderConfig,
    *,
    body: bytes,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    payload: Any,
    now: datetime,
) -> Verdict:
    """Judge one request. ``headers`` has lower-case names; ``payload`` is the parsed JSON or None."""
    if config.scheme == "standard":
        return verify_standard(config, body=body, headers=headers, now=now)
    if config.scheme == "kieai":
        return verify_kieai(config, headers=headers, payload=payload, now=now)
    if config.scheme == "hmac-body":
        return verify_hmac_body(config, body=body, headers=headers, now=now)
    return verify_token(config, query=query)


def _signature_header(value: str | None) -> Verdict | None:
    """The verdict for an absent or blank signature header, None when there is something to check."""
    if value is None:
        return _missing("no_signature")
    if not value.strip():
        return _missing("empty_signature")
    return None


def _check_time(timestamp: int, *, now: datetime, tolerance: int) -> Verdict | None:
    # Too old is a replay; too far ahead means a wrong clock or a forged timestamp: both invalid.
    delta = now.timestamp() - timestamp
    if delta > tolerance:
        return _invalid("stale")
    if -delta > tolerance:
        return _invalid("future")
    return None


def _standard_header_names(config: ProviderConfig) -> tuple[str, str]:
    return config.signature_header or "webhook-signature", config.timestamp_header or "webhook-timestamp"


def verify_standard(
    config: ProviderConfig, *, body: bytes, headers: Mapping[str, str], now: datetime
) -> Verdict:
    """Standard Webhooks (and Svix): HMAC-SHA256 over ``{id}.{timestamp}.{body}``, base64, ``v1,``."""
    signature_name, timestamp_name = (name.lower() for name in _standard_header_names(config))
    signature = headers.get(signature_name, headers.get("svix-signature"))
    if (verdict := _signature_header(signature)) is not None:
        return verdict
    msg_id = headers.get("webhook-id", headers.get("svix-id", "")).strip()
    timestamp = headers.get(timestamp_name, headers.get("svix-timestamp", "")).strip()
    if not msg_id or not _DIGITS.match(timestamp):
        return _invalid("malformed")
    candidates = []
    for part in (signature or "").split():
        version, _, value = part.partition(",")
        if version == "v1" and value:
            try:
                candidates.append(base64.b64decode(value, validate=True))
            except (binascii.Error, ValueError):
                continue
    if not candidates:
        return _invalid("malformed")
    if (verdict := _check_time(int(timestamp), now=now, tolerance=config.tolerance)) is not None:
        return verdict
    if not config.secrets:
        return _invalid("no_secret_configured")
    for secret in config.secrets:
        expected = standard_webhook_digest(secret, msg_id=msg_id, timestamp=timestamp, body=body)
        if any(hmac.compare_digest(expected, candidate) for candidate in candidates):
            return VALID
    return _invalid("mismatch")


def kieai_task_id(payload: Any) -> str | None:
    """``data.taskId`` (some samples use ``data.task_id``) as text, or None."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        return None
    value = data.get("taskId", data.get("task_id"))
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value) == "":
        return None
    return str(value)


def verify_kieai(
    config: ProviderConfig, *, headers: Mapping[str, str], payload: Any, now: datetime
) -> Verdict:
    """kie.ai: base64 HMAC-SHA256 over ``{taskId}.{timestamp}``. The body is NOT covered."""
    signature = headers.get(config.signature_header.lower())
    if (verdict := _signature_header(signature)) is not None:
        return verdict
    timestamp = headers.get(config.timestamp_header.lower(), "").strip()
    task_id = kieai_task_id(payload)
    if not _DIGITS.match(timestamp) or task_id is None:
        return _invalid("malformed")
    try:
        received = base64.b64decode((signature or "").strip(), validate=True)
    except (binascii.Error, ValueError):
        return _invalid("malformed")
    if len(received) != hashlib.sha256().digest_size:
        return _invalid("malformed")
    seconds = int(timestamp)
    if seconds > _MILLISECONDS_THRESHOLD:
        seconds //= 1000
    if (verdict := _check_time(seconds, now=now, tolerance=config.tolerance)) is not None:
        return verdict
    if not config.secrets:
        return _invalid("no_secret_configured")
    signed = f"{task_id}.{timestamp}".encode()
    for secret in config.secrets:
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
        if hmac.compare_digest(expected, received):
            return VALID
    return _invalid("mismatch")


def verify_hmac_body(
    config: ProviderConfig, *, body: bytes, headers: Mapping[str, str], now: datetime
) -> Verdict:
    """The original MyloWare scheme: lower-case hex HMAC-SHA256 of the raw body (``sha256=`` optional)."""
    signature = headers.get(config.signature_header.lower())
    if (verdict := _signature_header(signature)) is not None:
        return verdict
    value = (signature or "").strip()
    if value[:7].lower() == "sha256=":
        value = value[7:]
    if not _HEX_SHA256.match(value):
        return _invalid("malformed")
    if config.tolerance:
        timestamp = headers.get(config.timestamp_header.lower(), "").strip()
        if not _DIGITS.match(timestamp):
            return _invalid("malformed")
        if (verdict := _check_time(int(timestamp), now=now, tolerance=config.tolerance)) is not None:
            return verdict
    if not config.secrets:
        return _invalid("no_secret_configured")
    received = value.lower().encode()
    for secret in config.secrets:
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode()
        if hmac.compare_digest(expected, received):
            return VALID
    return _invalid("mismatch")


def verify_token(config: ProviderConfig, *, query: Mapping[str, str]) -> Verdict:
    """Providers that sign nothing (Shotstack): a secret token in the callback URL."""
    token = query.get(config.token_param)
    if token is None:
        return _missing("no_signature")
    if not token:
        return _missing("empty_signature")
    if not config.secrets:
        return _invalid("no_secret_configured")
    received = token.encode()
    if any(hmac.compare_digest(secret.encode(), received) for secret in config.secrets):
        return VALID
    return _invalid("mismatch")


SCHEME_DESCRIPTIONS = {
    "standard": "Standard Webhooks: base64 HMAC-SHA256 of “{id}.{timestamp}.{body}”, sent as “v1,<sig>”",
    "kieai": "kie.ai: base64 HMAC-SHA256 of “{taskId}.{timestamp}” (the body is not covered)",
    "hmac-body": "hex HMAC-SHA256 of the raw body (“sha256=” prefix optional)",
    "token": "a secret token in the callback URL's query string",
}


def explain(
    config: ProviderConfig, *, reason: str, headers: Mapping[str, str], received_at: datetime
) -> dict[str, str]:
    """Why a stored event got its verdict, for the operator: the scheme, the header (or query
    parameter) that carries the signature and, for a time failure, by how many seconds."""
    lowered = {name.lower(): value for name, value in headers.items()}
    signature_name, timestamp_name = (
        _standard_header_names(config)
        if config.scheme == "standard"
        else (config.signature_header, config.timestamp_header)
    )
    if config.scheme == "token":
        carrier = f"query parameter ?{config.token_param}="
    else:
        carrier = f"header {signature_name}"
    why = {
        "ok": "the signature matched a configured secret",
        "no_signature": f"the request had no {carrier}",
        "empty_signature": f"the {carrier} was empty",
        "malformed": f"the {carrier} or the timestamp could not be parsed for this scheme",
        "mismatch": f"no configured secret ({len(config.secrets)}) produced this signature: a wrong "
        "secret, or the signed content changed in transit",
        "no_secret_configured": f"WEBHOOK_SECRET_{config.slug.upper().replace('-', '_')} is not set",
    }.get(reason, reason)
    timestamp = lowered.get(timestamp_name.lower(), "").strip() if timestamp_name else ""
    if reason in ("stale", "future") and _DIGITS.match(timestamp):
        seconds = int(timestamp)
        if seconds > _MILLISECONDS_THRESHOLD:
            seconds //= 1000
        skew = int(received_at.timestamp()) - seconds
        direction = "before" if skew > 0 else "after"
        why = (
            f"the {timestamp_name} timestamp {timestamp} is {abs(skew)} s {direction} the "
            f"moment it was received; the tolerance is {config.tolerance} s"
        )
    return {
        "scheme": SCHEME_DESCRIPTIONS.get(config.scheme, config.scheme),
        "carrier": carrier,
        "why": why,
    }


def sign(config: ProviderConfig, *, body: bytes, payload: Any, now: datetime) -> dict[str, dict[str, str]]:
    """The headers and query parameters with which ``verify`` accepts ``body`` under the
    provider's first secret: what a provider sends (the console's test deliveries use it)."""
    if not config.secrets:
        raise ValueError(f"no secret configured for {config.slug}")
    secret, timestamp = config.secrets[0], str(int(now.timestamp()))
    if config.scheme == "token":
        return {"headers": {}, "query": {config.token_param: secret}}
    if config.scheme == "standard":
        msg_id = "msg_" + hashlib.sha256(body).hexdigest()[:24]
        signature_name, timestamp_name = _standard_header_names(config)
        headers = {
            signature_name: standard_webhook_signature(secret, msg_id=msg_id, timestamp=timestamp, body=body),
            timestamp_name: timestamp,
            "webhook-id": msg_id,
        }
        return {"headers": headers, "query": {}}
    if config.scheme == "kieai":
        signed = f"{kieai_task_id(payload)}.{timestamp}".encode()
        signature = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()
        return {
            "headers": {config.signature_header: signature, config.timestamp_header: timestamp},
            "query": {},
        }
    headers = {config.signature_header: hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}
    if config.tolerance:
        headers[config.timestamp_header] = timestamp
    return {"headers": headers, "query": {}}
