"""Addresses from the environment are checked at start-up, naming the variable and never
repeating a webhook URL's secret."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from myloware.lib.env import env_emails, env_http_url, env_http_urls, env_share


def test_a_malformed_e_mail_address_stops_start_up_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GATE_NOTIFY_EMAILS", "ops@example.com, lead@example.com")
    assert env_emails("GATE_NOTIFY_EMAILS") == ["ops@example.com", "lead@example.com"]
    monkeypatch.setenv("GATE_NOTIFY_EMAILS", "ops@example.com,not-an-address")
    with pytest.raises(
        ImproperlyConfigured, match="^GATE_NOTIFY_EMAILS: 'not-an-address' is not an e-mail address$"
    ):
        env_emails("GATE_NOTIFY_EMAILS")


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.com/services/T/B/urlSecret123",
        "javascript:alert('urlSecret123')",
        "hooks.example.com/services/urlSecret123",
        "https://",
    ],
)
def test_a_webhook_url_that_is_not_http_stops_start_up_without_showing_its_secret(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("GATE_NOTIFY_WEBHOOK_URLS", f"https://hooks.slack.com/services/T/B/okSecret,{url}")
    with pytest.raises(
        ImproperlyConfigured, match="^GATE_NOTIFY_WEBHOOK_URLS: .* is not an http\\(s\\) URL$"
    ) as caught:
        env_http_urls("GATE_NOTIFY_WEBHOOK_URLS")
    assert "urlSecret123" not in str(caught.value) and "okSecret" not in str(caught.value)


def test_the_console_url_is_checked_only_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONSOLE_BASE_URL", raising=False)
    assert env_http_url("CONSOLE_BASE_URL", "http://127.0.0.1:8000") == "http://127.0.0.1:8000"
    monkeypatch.setenv("CONSOLE_BASE_URL", "console.example.com")
    with pytest.raises(ImproperlyConfigured, match="^CONSOLE_BASE_URL: "):
        env_http_url("CONSOLE_BASE_URL", "http://127.0.0.1:8000")


@pytest.mark.parametrize(
    ("raw", "ok"), [("0", True), ("0.5", True), ("0.99", True), ("1", False), ("-0.1", False)]
)
def test_a_share_of_the_deadline_is_from_0_to_below_1(
    monkeypatch: pytest.MonkeyPatch, raw: str, ok: bool
) -> None:
    monkeypatch.setenv("GATE_REMIND_AT", raw)
    if ok:
        assert env_share("GATE_REMIND_AT", 0.5) == float(raw)
    else:
        with pytest.raises(ImproperlyConfigured, match="^GATE_REMIND_AT must be at least 0 and below 1"):
            env_share("GATE_REMIND_AT", 0.5)
