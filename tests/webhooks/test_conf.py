"""Provider configuration from the environment (the names operators and scripts rely on)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from webhooks.conf import providers_from_env


def test_defaults_ship_for_the_three_providers(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WEBHOOK_SECRET_KIEAI", "WEBHOOK_STANDARD_PROVIDERS", "WEBHOOK_SCHEME_UPLOAD_POST"):
        monkeypatch.delenv(name, raising=False)
    providers = providers_from_env()
    assert {slug: p.scheme for slug, p in providers.items()} == {
        "kieai": "kieai",
        "shotstack": "token",
        "upload-post": "hmac-body",
    }
    assert providers["kieai"].tolerance == 300
    assert providers["upload-post"].signature_header == "X-Signature"
    assert all(p.max_body == 1024 * 1024 for p in providers.values())


def test_secrets_rotation_scheme_override_and_standard_senders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET_UPLOAD_POST", " new-secret , old-secret ")
    monkeypatch.setenv("WEBHOOK_SCHEME_UPLOAD_POST", "standard")
    monkeypatch.setenv("WEBHOOK_STANDARD_PROVIDERS", "orchestrator, Svix-Sender")
    monkeypatch.setenv("WEBHOOK_SECRET_SVIX_SENDER", "whsec_abc")
    monkeypatch.setenv("WEBHOOK_MAX_BODY_ORCHESTRATOR", "2048")
    monkeypatch.setenv("WEBHOOK_TOLERANCE_ORCHESTRATOR", "60")
    providers = providers_from_env()
    assert providers["upload-post"].secrets == ("new-secret", "old-secret")
    assert providers["upload-post"].scheme == "standard"
    assert providers["upload-post"].signature_header == "webhook-signature"
    assert providers["orchestrator"].scheme == "standard"
    assert (providers["orchestrator"].max_body, providers["orchestrator"].tolerance) == (2048, 60)
    assert providers["svix-sender"].secrets == ("whsec_abc",)
    assert "abc" not in repr(providers["svix-sender"])  # secrets never printed


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("WEBHOOK_SCHEME_KIEAI", "md5", "WEBHOOK_SCHEME_KIEAI must be one of"),
        ("WEBHOOK_TOLERANCE_KIEAI", "0", "must be > 0"),
        ("WEBHOOK_STANDARD_PROVIDERS", "events", "not a valid provider slug"),
        ("WEBHOOK_STANDARD_PROVIDERS", "bad slug!", "not a valid provider slug"),
        ("WEBHOOK_MAX_BODY", "lots", "WEBHOOK_MAX_BODY must be an integer"),
    ],
)
def test_bad_configuration_fails_at_start_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=message):
        providers_from_env()
