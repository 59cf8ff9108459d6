"""The schemes as pure functions on a controlled clock (exact tolerance boundaries)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.webhooks.conftest import TEST_PROVIDERS, fixture_bytes, sign_hmac_body, sign_kieai, sign_standard
from webhooks.conf import ProviderConfig
from webhooks.verification import verify

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
T = int(NOW.timestamp())


def lower(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (-300, ("valid", "ok")),
        (300, ("valid", "ok")),
        (-301, ("invalid", "stale")),
        (301, ("invalid", "future")),
    ],
)
def test_standard_tolerance_boundaries(offset: int, expected: tuple[str, str]) -> None:
    body = fixture_bytes("standard_event")
    headers = lower(sign_standard(body, timestamp=T + offset))
    verdict = verify(TEST_PROVIDERS["acme"], body=body, headers=headers, query={}, payload=None, now=NOW)
    assert (verdict.status, verdict.reason) == expected


@pytest.mark.parametrize(("offset", "expected"), [(-300, "ok"), (-301, "stale"), (301, "future")])
def test_kieai_tolerance_boundaries_and_millisecond_timestamps(offset: int, expected: str) -> None:
    body = fixture_bytes("kieai_success")
    payload = json.loads(body)
    for timestamp in (T + offset, (T + offset) * 1000):
        headers = lower(sign_kieai(body, timestamp=timestamp))
        verdict = verify(
            TEST_PROVIDERS["kieai"], body=body, headers=headers, query={}, payload=payload, now=NOW
        )
        assert verdict.reason == expected


def test_kieai_accepts_the_snake_case_task_id() -> None:
    payload = {"code": 200, "data": {"task_id": "veo_task_abcdef123456"}}
    body = json.dumps(payload).encode()
    headers = lower(sign_kieai(fixture_bytes("kieai_success"), timestamp=T))  # same task id, same signature
    verdict = verify(TEST_PROVIDERS["kieai"], body=body, headers=headers, query={}, payload=payload, now=NOW)
    assert verdict.is_valid


def test_hmac_body_timestamp_is_enforced_only_with_a_tolerance() -> None:
    body = fixture_bytes("upload_post_completed")
    signed = lower(sign_hmac_body(body))
    strict = ProviderConfig(
        slug="up",
        scheme="hmac-body",
        secrets=("upload-post-secret-1",),
        signature_header="X-Signature",
        timestamp_header="X-Timestamp",
        tolerance=60,
    )
    lenient = TEST_PROVIDERS["upload-post"]
    assert verify(lenient, body=body, headers=signed, query={}, payload=None, now=NOW).is_valid
    missing_ts = verify(strict, body=body, headers=signed, query={}, payload=None, now=NOW)
    assert (missing_ts.status, missing_ts.reason) == ("invalid", "malformed")
    fresh = {**signed, "x-timestamp": str(T - 30)}
    assert verify(strict, body=body, headers=fresh, query={}, payload=None, now=NOW).is_valid
    old = {**signed, "x-timestamp": str(T - 61)}
    assert verify(strict, body=body, headers=old, query={}, payload=None, now=NOW).reason == "stale"


def test_standard_accepts_any_matching_signature_in_the_list() -> None:
    body = fixture_bytes("standard_event")
    headers = lower(sign_standard(body, timestamp=T))
    headers["webhook-signature"] = "v1,bm90IHRoZSByaWdodCBvbmU= v2,xyz " + headers["webhook-signature"]
    assert verify(
        TEST_PROVIDERS["acme"], body=body, headers=headers, query={}, payload=None, now=NOW
    ).is_valid


def test_upper_case_hex_signature_is_accepted() -> None:
    body = fixture_bytes("upload_post_completed")
    headers = {"x-signature": "SHA256=" + sign_hmac_body(body)["X-Signature"].upper()}
    assert verify(
        TEST_PROVIDERS["upload-post"], body=body, headers=headers, query={}, payload=None, now=NOW
    ).is_valid
