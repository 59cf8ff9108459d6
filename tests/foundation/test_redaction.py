"""Secrets never reach logs, stored header snapshots or error texts."""

from __future__ import annotations

import datetime
import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import hypothesis
import pytest
from django.conf import settings
from gunicorn.config import Config

from myloware.gunicorn_conf import RedactingLogger
from myloware.lib import redact
from myloware.lib.redact import (
    REDACTED,
    RedactSecretsFilter,
    configured_secrets,
    redact_headers,
    redact_text,
    redact_url,
    register_secrets,
)


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


def test_configured_secret_values_are_masked_whatever_parameter_carries_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET_RELAY", "new-relay-token-123,old-relay-token-456")
    monkeypatch.setenv("WEBHOOK_SECRET_ACME", "whsec_c3RhbmRhcmQta2V5LWJhc2U2NA==")
    monkeypatch.setenv("PUBLISH_CREDENTIAL_TIKTOK", "tiktok-upload-key-789")
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:p%40ss-word-1@db/x")
    text = (
        "POST /cb?sig=new-relay-token-123 then sig=old-relay-token-456, key c3RhbmRhcmQta2V5LWJhc2U2NA== "
        "sent tiktok-upload-key-789 with p@ss-word-1"
    )
    cleaned = redact_text(text)
    for secret in ("relay-token", "c3RhbmRh", "tiktok-upload", "ss-word"):
        assert secret not in cleaned, cleaned
    assert cleaned.startswith("POST /cb?sig=[redacted]")


def test_knobs_that_only_name_where_a_secret_lives_are_not_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIALS_CREDENTIAL_FILE_DIR", "/run/secrets/socials")
    monkeypatch.setenv("SOCIALS_CREDENTIAL_ENV_PREFIX", "PUBLISH_CREDENTIAL_")
    monkeypatch.setenv("WEBHOOK_SECRET_SHORT", "abc")  # too short to mask without ruining text
    assert not {"/run/secrets/socials", "PUBLISH_CREDENTIAL_", "abc"} & set(configured_secrets())


def test_chat_webhook_urls_of_the_environment_are_masked_by_their_secret_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "GATE_NOTIFY_WEBHOOK_URLS",
        "https://hooks.slack.com/services/T01/B02/slackPathSecret123,https://chat.example.com/hook?key=x&t=querySecret456",
    )
    text = (
        'HTTP Request: POST https://hooks.slack.com/services/T01/B02/slackPathSecret123 "HTTP/1.1 404"; '
        "then https://chat.example.com/hook?key=x&t=querySecret456"
    )
    cleaned = redact_text(text)
    assert "slackPathSecret123" not in cleaned and "querySecret456" not in cleaned
    assert cleaned.startswith("HTTP Request: POST https://hooks.slack.com[redacted]")


def test_secrets_a_sender_registers_from_the_database_are_masked_from_then_on() -> None:
    text = "POST https://chat.example.com/hooks/db-stored-secret-789 failed"
    assert "db-stored-secret-789" in redact_text(text)
    register_secrets(["/hooks/db-stored-secret-789", "short"])
    assert redact_text(text) == "POST https://chat.example.com[redacted] failed"
    assert "short" not in configured_secrets()  # too short to mask without ruining text


def test_a_webhook_url_is_shown_by_its_host_and_a_fingerprint_only() -> None:
    url = "https://bot:pw-secret@hooks.slack.com:8443/services/T01/B02/pathSecret?q=querySecret"
    shown = redact_url(url)
    assert shown.startswith("https://hooks.slack.com:8443/[redacted]#")
    assert not {"bot", "pw-secret", "T01", "pathSecret", "querySecret"} & set(shown.replace("/", " ").split())
    assert "Secret" not in shown
    assert redact_url(url) == shown != redact_url(url.replace("pathSecret", "otherSecret"))


def test_tracebacks_and_stacks_are_redacted_too() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecretsFilter())
    logger = logging.getLogger("tests.redaction.traceback")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        raise RuntimeError("callback https://h/cb?token=tb-secret-42 failed")
    except RuntimeError:
        logger.exception("delivery failed", stack_info=True)
    finally:
        logger.removeHandler(handler)
    assert "RuntimeError" in stream.getvalue() and "tb-secret-42" not in stream.getvalue()


def test_every_handler_of_a_configured_process_redacts() -> None:
    """Every handler after django.setup() (ours; Django's default console and mail_admins handlers
    are taken off its logger, which writes through ours: no line twice, none unformatted)."""
    script = (
        "import django, json, logging; django.setup();"
        "from myloware.lib.redact import RedactSecretsFilter, _all_handlers;"
        "print(json.dumps([[type(h).__name__, any(isinstance(f, RedactSecretsFilter) for f in h.filters)]"
        " for h in _all_handlers()]))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "myloware.settings_test"}
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
        timeout=120, check=True,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    handlers = json.loads(out)
    assert handlers == [["StreamHandler", True]], handlers
    assert all(redacts for _, redacts in handlers), handlers


def test_gunicorn_access_and_error_logs_are_redacted(tmp_path: Path) -> None:
    config = Config()
    config.set("accesslog", str(tmp_path / "access.log"))
    config.set("errorlog", str(tmp_path / "error.log"))
    glog = RedactingLogger(config)
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": "/api/v1/webhooks/shotstack?run_id=r1&token=gunicorn-secret-1",
        "QUERY_STRING": "run_id=r1&token=gunicorn-secret-1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": "https://x.test/?api_key=gunicorn-secret-2",
    }
    response = SimpleNamespace(status="200 OK", headers=[], sent=2)
    glog.access(response, SimpleNamespace(headers=[]), environ, datetime.timedelta(milliseconds=3))
    glog.error("Error handling request /cb?token=gunicorn-secret-3")
    for log in (glog.access_log, glog.error_log):
        for handler in list(log.handlers):
            handler.close()
            log.removeHandler(handler)
    access = (tmp_path / "access.log").read_text()
    error = (tmp_path / "error.log").read_text()
    assert "POST /api/v1/webhooks/shotstack?run_id=r1&token=[redacted] HTTP/1.1" in access
    assert "gunicorn-secret" not in access + error and "Error handling request" in error


@pytest.mark.parametrize("pattern", redact._TEXT_PATTERNS, ids=lambda p: p.pattern[:30])
@hypothesis.settings(max_examples=200, deadline=None, derandomize=True)
@hypothesis.given(data=hypothesis.strategies.data())
def test_the_quick_check_lets_through_every_text_a_pattern_would_redact(pattern: Any, data: Any) -> None:
    """redact_text skips the four substitutions when the hint finds nothing: it must find
    something in every text any of them matches (a new pattern needs its hint)."""
    text = data.draw(hypothesis.strategies.from_regex(pattern, fullmatch=False))
    assert redact._TEXT_PATTERN_HINT.search(text)
