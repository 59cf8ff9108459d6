"""Secrets never reach logs, stored header snapshots or error texts."""

from __future__ import annotations

import logging

import pytest

from myloware.lib.redact import REDACTED, RedactSecretsFilter, redact_headers, redact_text


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("POST /api/v1/webhooks/shotstack?token=s3cr3t-token&run_id=r1", "s3cr3t-token"),
        ("callback failed: retry with token=abc123XYZ later", "abc123XYZ"),
        ("https://x.test/cb?api_key=K-123&x=1", "K-123"),
        ("Authorization: Apikey up_live_0123456789", "up_live_0123456789"),
        ("Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "eyJhbGciOiJIUzI1NiJ9.payload.sig"),
        ("secret is whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        ("postgresql://app:hunter2@db.internal:5432/myloware", "hunter2"),
        ("login failed for password=correct-horse", "correct-horse"),
    ],
)
def test_secrets_in_free_text_are_masked(text: str, secret: str) -> None:
    cleaned = redact_text(text)
    assert secret not in cleaned
    assert REDACTED in cleaned


def test_ordinary_names_that_end_in_key_are_kept() -> None:
    text = "duplicate idempotency_key=kieai:task-1:success for provider kieai"
    assert redact_text(text) == text


def test_header_snapshot_masks_credentials_but_keeps_signatures() -> None:
    headers = {
        "Authorization": "Apikey secret-value",
        "Cookie": "sessionid=abc",
        "X-Api-Key": "mlw_abc",
        "X-Upload-Post-Secret-Token": "t0k3n",
        "Webhook-Signature": "v1,c2lnbmF0dXJl",
        "Content-Type": "application/json",
    }
    snapshot = redact_headers(headers)
    assert snapshot["Authorization"] == snapshot["Cookie"] == snapshot["X-Api-Key"] == REDACTED
    assert snapshot["X-Upload-Post-Secret-Token"] == REDACTED
    assert snapshot["Webhook-Signature"] == "v1,c2lnbmF0dXJl"
    assert snapshot["Content-Type"] == "application/json"


def test_log_records_are_redacted_after_formatting() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "calling %s", ("https://h/cb?token=zzz999",), None
    )
    assert RedactSecretsFilter().filter(record)
    assert "zzz999" not in record.getMessage()
