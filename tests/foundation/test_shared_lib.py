"""The helpers every app shares (myloware.lib): one Standard-Webhooks signature for our sender and
our verifier, one UUID check, counts in words."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

import pytest

from artifacts.models import artifacts_counted
from myloware.lib.ids import is_uuid
from myloware.lib.signing import standard_webhook_key
from myloware.lib.text import counted
from runs.services import standard_webhook_headers
from webhooks.conf import ProviderConfig
from webhooks.verification import verify_standard

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
BODY = b'{"type": "gate.approved", "data": {"run_id": "run_1"}}'


@pytest.mark.parametrize(
    "secret",
    ["whsec_" + base64.b64encode(b"a key of thirty-two random bytes").decode(), "not-base64-at-all!"],
    ids=["whsec", "plain"],
)
def test_what_our_callbacks_sign_our_intake_accepts(secret: str) -> None:
    headers = standard_webhook_headers(
        secret=secret, msg_id="msg_1", timestamp=int(NOW.timestamp()), body=BODY
    )
    config = ProviderConfig(slug="orchestrator", scheme="standard", secrets=(secret,))
    assert verify_standard(config, body=BODY, headers=headers, now=NOW).is_valid
    tampered = verify_standard(config, body=BODY + b" ", headers=headers, now=NOW)
    assert not tampered.is_valid and tampered.reason == "mismatch"


def test_a_whsec_secret_is_its_base64_key_and_anything_else_its_bytes() -> None:
    assert standard_webhook_key("whsec_" + base64.b64encode(b"key").decode()) == b"key"
    assert standard_webhook_key("plain secret") == b"plain secret"


def test_is_uuid_takes_text_and_uuids_only() -> None:
    assert is_uuid(str(uuid.uuid4())) and is_uuid(uuid.uuid4())
    assert not is_uuid("doc-1") and not is_uuid(None) and not is_uuid(12)


def test_a_count_carries_its_noun_in_the_right_number() -> None:
    assert [counted(n, "gate") for n in (0, 1, 2)] == ["0 gates", "1 gate", "2 gates"]
    assert [counted(n, "entry", "entries") for n in (1, 1234)] == ["1 entry", "1,234 entries"]
    assert artifacts_counted("citations", 1) == "1 citation list"
    assert artifacts_counted("idea", 3) == "3 ideas"
    assert artifacts_counted("render.url", 2) == "2 final videos"
    assert artifacts_counted("thumbnail", 1) == "1 thumbnail artifact"  # a type of the orchestrator's own
