"""Intake: verification per scheme, deduplication, byte-exact storage, status codes."""

from __future__ import annotations

import hashlib
import io
import json
import socket
import time
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from artifacts.models import Artifact
from tests.race import race
from tests.webhooks.conftest import (
    ALL_SECRETS,
    KIEAI_OLD_SECRET,
    SHOTSTACK_TOKEN,
    STANDARD_OLD_SECRET,
    deliver,
    fixture_bytes,
    kieai_delivery,
    sign_hmac_body,
    sign_kieai,
    sign_standard,
)
from webhooks.models import UNKNOWN_PROVIDER, EventStatus, SignatureStatus, WebhookEvent

pytestmark = pytest.mark.django_db


def only_event() -> WebhookEvent:
    events = list(WebhookEvent.objects.all())
    assert len(events) == 1
    return events[0]


# --- a valid request per scheme ------------------------------------------------------------------


def test_standard_webhook_is_accepted_and_stored_byte_exact(client: Client) -> None:
    body = fixture_bytes("standard_event")
    response = deliver(client, "acme", body, headers=sign_standard(body, msg_id="msg_valid_1"))
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    event = WebhookEvent.objects.get(pk=response.json()["event_id"])
    assert bytes(event.payload) == body
    assert (event.payload_size, event.payload_sha256) == (len(body), hashlib.sha256(body).hexdigest())
    assert (event.payload_dropped_at, event.payload_drop_reason, event.client_address) == (
        None,
        None,
        "127.0.0.1",
    )
    assert event.signature_status == SignatureStatus.VALID
    assert event.signature_reason == "ok"
    assert (event.idempotency_key, event.idempotency_rule) == ("msg_valid_1", "header:webhook-id")
    # No handler for a generic Standard-Webhooks sender: stored, processed as ignored.
    assert event.status == EventStatus.IGNORED


def test_svix_prefixed_headers_are_accepted(client: Client) -> None:
    body = fixture_bytes("standard_event")
    signed = sign_standard(body, msg_id="msg_svix")
    headers = {name.replace("webhook-", "svix-"): value for name, value in signed.items()}
    response = deliver(client, "acme", body, headers=headers)
    assert response.status_code == 200
    assert only_event().idempotency_rule == "header:svix-id"


def test_kieai_callback_is_accepted_with_the_task_id_signature(client: Client, make_run: Any) -> None:
    run = make_run()
    delivery = kieai_delivery(run.run_id)
    response = delivery.send(client)
    assert response.status_code == 200, response.content
    event = only_event()
    assert event.signature_status == SignatureStatus.VALID
    assert event.run_id == run.run_id
    assert (event.idempotency_key, event.idempotency_rule) == ("veo_task_abcdef123456:200", "field:kieai")


def test_hmac_body_callback_is_accepted_with_or_without_the_sha256_prefix(client: Client) -> None:
    body = fixture_bytes("upload_post_account_connected")
    signature = sign_hmac_body(body)["X-Signature"]
    assert deliver(client, "upload-post", body, headers={"X-Signature": signature}).status_code == 200
    other = body.replace(b"07:00:00", b"07:00:01")
    prefixed = "sha256=" + sign_hmac_body(other)["X-Signature"]
    assert deliver(client, "upload-post", other, headers={"X-Signature": prefixed}).status_code == 200
    assert set(WebhookEvent.objects.values_list("signature_status", flat=True)) == {"valid"}
    assert set(WebhookEvent.objects.values_list("idempotency_rule", flat=True)) == {"body-sha256"}


def test_token_callback_is_accepted_and_the_token_is_not_stored(client: Client) -> None:
    body = fixture_bytes("shotstack_serve_ready")
    response = deliver(client, "shotstack", body, query=f"token={SHOTSTACK_TOKEN}&run_id=run_x")
    assert response.status_code == 200
    event = only_event()
    assert event.query == {"token": "[redacted]", "run_id": "run_x"}
    assert event.idempotency_rule == "field:shotstack"
    assert SHOTSTACK_TOKEN not in json.dumps(event.headers) + json.dumps(event.query)


# --- rejected requests: stored for audit, 401, never processed ---------------------------------------


def assert_rejected(response: Any, status: str, reason: str) -> WebhookEvent:
    assert response.status_code == 401, response.content
    error = response.json()["error"]
    assert error["code"] == f"signature_{status}"
    assert error["details"]["reason"] == reason
    event = WebhookEvent.objects.get(pk=error["details"]["event_id"])
    assert (event.signature_status, event.signature_reason) == (status, reason)
    assert event.status == EventStatus.REJECTED
    assert event.attempts == 0
    return event


def test_one_tampered_byte_is_rejected(client: Client) -> None:
    body = fixture_bytes("standard_event")
    headers = sign_standard(body)
    tampered = body.replace(b"4200", b"4201")
    assert_rejected(deliver(client, "acme", tampered, headers=headers), "invalid", "mismatch")
    upload_body = fixture_bytes("upload_post_completed")
    upload_headers = sign_hmac_body(upload_body)
    tampered_upload = upload_body.replace(b"AISMR #42", b"AISMR #43")
    assert len(tampered_upload) == len(upload_body)
    event = assert_rejected(
        deliver(client, "upload-post", tampered_upload, headers=upload_headers), "invalid", "mismatch"
    )
    assert bytes(event.payload) == tampered_upload


def test_kieai_signature_covers_the_task_id_so_another_task_id_is_rejected(client: Client) -> None:
    delivery = kieai_delivery("run_x")
    forged = delivery.body.replace(b"veo_task_abcdef123456", b"veo_task_abcdef123457")
    assert_rejected(deliver(client, "kieai", forged, headers=delivery.headers), "invalid", "mismatch")


def test_wrong_secret_is_rejected(client: Client) -> None:
    body = fixture_bytes("standard_event")
    wrong = "whsec_" + "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZw=="
    assert_rejected(
        deliver(client, "acme", body, headers=sign_standard(body, secret=wrong)), "invalid", "mismatch"
    )
    bad_token = deliver(client, "shotstack", fixture_bytes("shotstack_edit_done"), query="token=guess")
    assert_rejected(bad_token, "invalid", "mismatch")


def test_rotated_secrets_any_configured_secret_matches(client: Client) -> None:
    body = fixture_bytes("standard_event")
    # The configured list is (old, current): both the first and the second must verify.
    for number, secret in enumerate([STANDARD_OLD_SECRET, ALL_SECRETS[0]]):
        headers = sign_standard(body, msg_id=f"msg_rot_{number}", secret=secret)
        assert deliver(client, "acme", body, headers=headers).status_code == 200
    kie = kieai_delivery("run_x")
    assert (
        deliver(client, "kieai", kie.body, headers=sign_kieai(kie.body, secret=KIEAI_OLD_SECRET)).status_code
        == 200
    )


@pytest.mark.parametrize(("offset", "reason"), [(-330, "stale"), (330, "future")])
def test_stale_and_future_timestamps_are_rejected(client: Client, offset: int, reason: str) -> None:
    body = fixture_bytes("standard_event")
    headers = sign_standard(body, timestamp=int(time.time()) + offset)
    assert_rejected(deliver(client, "acme", body, headers=headers), "invalid", reason)
    kie = kieai_delivery("run_x")
    kie_headers = sign_kieai(kie.body, timestamp=int(time.time()) + offset)
    WebhookEvent.objects.all().delete()
    assert_rejected(deliver(client, "kieai", kie.body, headers=kie_headers), "invalid", reason)


def test_timestamps_within_tolerance_are_accepted(client: Client) -> None:
    body = fixture_bytes("standard_event")
    headers = sign_standard(body, timestamp=int(time.time()) - 250)
    assert deliver(client, "acme", body, headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("provider", "headers", "status", "reason"),
    [
        ("acme", {"webhook-signature": "v1,not base64!"}, "invalid", "malformed"),
        ("acme", {"webhook-signature": "v2,AAAA"}, "invalid", "malformed"),
        ("acme", {"webhook-signature": "   "}, "missing", "empty_signature"),
        ("acme", {"webhook-id": None}, "invalid", "malformed"),
        ("acme", {"webhook-timestamp": "yesterday"}, "invalid", "malformed"),
        ("acme", {"webhook-signature": None}, "missing", "no_signature"),
        ("kieai", {"X-Webhook-Signature": "%%%"}, "invalid", "malformed"),
        ("kieai", {"X-Webhook-Signature": "c2hvcnQ="}, "invalid", "malformed"),
        ("kieai", {"X-Webhook-Signature": ""}, "missing", "empty_signature"),
        ("kieai", {"X-Webhook-Timestamp": "-5"}, "invalid", "malformed"),
        ("kieai", {"X-Webhook-Signature": None}, "missing", "no_signature"),
        ("upload-post", {"X-Signature": "sha256=xyz"}, "invalid", "malformed"),
        ("upload-post", {"X-Signature": ""}, "missing", "empty_signature"),
        ("upload-post", {"X-Signature": None}, "missing", "no_signature"),
    ],
)
def test_malformed_and_empty_signature_headers_are_rejected_cleanly(
    client: Client, provider: str, headers: dict[str, str | None], status: str, reason: str
) -> None:
    if provider == "acme":
        body = fixture_bytes("standard_event")
        base = sign_standard(body)
    elif provider == "kieai":
        body = kieai_delivery("run_x").body
        base = sign_kieai(body)
    else:
        body = fixture_bytes("upload_post_completed")
        base = sign_hmac_body(body)
    merged = {**base, **headers}
    sent = {name: value for name, value in merged.items() if value is not None}
    assert_rejected(deliver(client, provider, body, headers=sent), status, reason)


def test_missing_token_is_missing(client: Client) -> None:
    assert_rejected(
        deliver(client, "shotstack", fixture_bytes("shotstack_edit_done")), "missing", "no_signature"
    )


def test_header_names_are_case_insensitive(client: Client) -> None:
    body = fixture_bytes("standard_event")
    headers = {name.upper(): value for name, value in sign_standard(body).items()}
    assert deliver(client, "acme", body, headers=headers).status_code == 200
    upload = fixture_bytes("upload_post_account_connected")
    assert (
        deliver(
            client, "upload-post", upload, headers={"x-signature": sign_hmac_body(upload)["X-Signature"]}
        ).status_code
        == 200
    )


def test_body_that_is_not_utf8_verifies_on_raw_bytes_and_is_stored_exactly(client: Client) -> None:
    body = b"\xff\xfe\x00binary\x80payload\xc3"
    response = deliver(
        client,
        "acme",
        body,
        headers=sign_standard(body, msg_id="msg_bin"),
        content_type="application/octet-stream",
    )
    assert response.status_code == 200
    event = only_event()
    assert bytes(event.payload) == body
    tampered = deliver(
        client,
        "acme",
        body + b"\x00",
        headers=sign_standard(body, msg_id="msg_bin2"),
        content_type="application/octet-stream",
    )
    assert tampered.status_code == 401


def test_empty_body_is_handled_cleanly(client: Client) -> None:
    response = deliver(client, "acme", b"", headers=sign_standard(b"", msg_id="msg_empty"))
    assert response.status_code == 200
    assert bytes(only_event().payload) == b""
    # kie.ai signs the task id, which an empty body does not have: malformed, not a 500.
    kie = deliver(client, "kieai", b"", headers={"X-Webhook-Timestamp": "1", "X-Webhook-Signature": "AAAA"})
    assert kie.status_code == 401
    assert kie.json()["error"]["details"]["reason"] == "malformed"


# --- size, content type, provider ----------------------------------------------------------------------


def oversized() -> bytes:
    return b'{"pad": "' + b"x" * (1024 * 1024) + b'"}'


def test_body_over_the_limit_with_content_length_is_413_before_reading(client: Client) -> None:
    class Unreadable(io.RawIOBase):
        def read(self, size: int = -1) -> bytes:  # pragma: no cover - must not be called
            raise AssertionError("the body was read although Content-Length is over the limit")

    response = deliver(
        client,
        "acme",
        b"",
        headers=sign_standard(b""),
        CONTENT_LENGTH=str(2 * 1024 * 1024),
        **{"wsgi.input": Unreadable()},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    body = oversized()
    assert deliver(client, "acme", body, headers=sign_standard(body)).status_code == 413
    assert WebhookEvent.objects.count() == 0


@pytest.mark.parametrize("content_length", [None, "", "abc", "-1"])
def test_body_over_the_limit_without_a_usable_content_length_is_413(
    client: Client, content_length: str | None
) -> None:
    body = oversized()

    class CountingStream(io.BytesIO):
        largest_read = 0

        def read(self, size: int | None = -1) -> bytes:
            CountingStream.largest_read = max(CountingStream.largest_read, size or 0)
            assert size is not None and size > 0, "unbounded read"
            return super().read(size)

    # No Content-Length: a chunked upload; a malformed one: the stream is all we can trust.
    extra: dict[str, Any] = {
        "wsgi.input": CountingStream(body),
        "HTTP_TRANSFER_ENCODING": "chunked",
        "CONTENT_TYPE": "application/json",
    }
    extra["CONTENT_LENGTH"] = content_length if content_length is not None else ""
    response = deliver(client, "acme", b"", headers=sign_standard(body), **extra)
    assert response.status_code == 413
    assert CountingStream.largest_read <= 64 * 1024
    assert WebhookEvent.objects.count() == 0


def test_chunked_body_under_the_limit_without_content_length_is_read(client: Client) -> None:
    body = fixture_bytes("standard_event")
    response = deliver(
        client,
        "acme",
        b"",
        headers=sign_standard(body),
        CONTENT_LENGTH="",
        CONTENT_TYPE="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": io.BytesIO(body)},
    )
    assert response.status_code == 200
    assert bytes(only_event().payload) == body


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", ""])
def test_unsupported_content_type_is_415(client: Client, content_type: str) -> None:
    body = fixture_bytes("standard_event")
    response = deliver(client, "acme", body, headers=sign_standard(body), content_type=content_type)
    assert response.status_code == 415
    assert WebhookEvent.objects.count() == 0


@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset=utf-8", "application/cloudevents+json", "application/x-www-form-urlencoded"],
)
def test_json_and_form_content_types_are_accepted(client: Client, content_type: str) -> None:
    body = fixture_bytes("standard_event")
    assert (
        deliver(client, "acme", body, headers=sign_standard(body), content_type=content_type).status_code
        == 200
    )


def test_unknown_provider_is_404_and_recorded_as_one_rejected_bucket(client: Client) -> None:
    response = deliver(client, "nobody", b'{"run_id": "run_x"}', query="run_id=run_x")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "not_found"
    event = WebhookEvent.objects.get(pk=error["details"]["event_id"])
    # Every unknown slug shares one provider value (their budget and failure limit): the slugs a
    # scanner tries can't add providers to the lists and charts; the slug is in the note.
    assert (event.provider, event.status, event.signature_status, event.signature_reason) == (
        UNKNOWN_PROVIDER,
        "rejected",
        "invalid",
        "unknown_provider",
    )
    assert event.error == "unknown provider 'nobody'"
    assert event.run_id is None
    assert (event.payload_size, event.payload_sha256) == (
        19,
        hashlib.sha256(b'{"run_id": "run_x"}').hexdigest(),
    )


def test_get_on_the_intake_is_405_not_500(client: Client) -> None:
    assert client.get("/api/v1/webhooks/acme").status_code == 405


# --- deduplication -------------------------------------------------------------------------------------


def test_duplicate_delivery_answers_duplicate_with_the_original_event(client: Client) -> None:
    body = fixture_bytes("standard_event")
    headers = sign_standard(body, msg_id="msg_dup")
    first = deliver(client, "acme", body, headers=headers).json()
    second = deliver(client, "acme", body, headers=headers)
    assert second.status_code == 200
    assert second.json() == {"status": "duplicate", "event_id": first["event_id"]}
    assert WebhookEvent.objects.count() == 1


def test_same_key_from_another_provider_is_not_a_duplicate(client: Client) -> None:
    body = fixture_bytes("upload_post_account_connected")
    headers = {**sign_hmac_body(body), "Idempotency-Key": "shared-key"}
    assert deliver(client, "upload-post", body, headers=headers).json()["status"] == "accepted"
    standard = sign_standard(body, msg_id="shared-key")
    assert deliver(client, "acme", body, headers=standard).json()["status"] == "accepted"
    assert WebhookEvent.objects.count() == 2


def test_a_forged_request_cannot_take_the_key_of_the_real_delivery(client: Client) -> None:
    body = fixture_bytes("standard_event")
    real = sign_standard(body, msg_id="msg_target")
    forged = {**real, "webhook-signature": "v1," + "A" * 44}
    assert deliver(client, "acme", body, headers=forged).status_code == 401
    assert deliver(client, "acme", body, headers=forged).status_code == 401  # retries collapse
    response = deliver(client, "acme", body, headers=real)
    assert response.json()["status"] == "accepted"
    assert WebhookEvent.objects.filter(signature_status="invalid").count() == 1
    assert WebhookEvent.objects.get(idempotency_key="msg_target").signature_status == "valid"


# --- secrets never stored ------------------------------------------------------------------------------


def test_stored_headers_contain_no_secret(client: Client) -> None:
    body = fixture_bytes("standard_event")
    headers = {
        **sign_standard(body, msg_id="msg_secrets"),
        "Authorization": "Bearer super-secret-bearer",
        "Cookie": "sessionid=super-secret-cookie",
        "X-Api-Key": "mlw_super_secret_api_key",
        "X-Upload-Post-Api-Key": "upk_super_secret",
        "X-Forwarded-Uri": f"/api/v1/webhooks/shotstack?token={SHOTSTACK_TOKEN}",
    }
    deliver(client, "acme", body, headers=headers, query="api_key=qs-secret&run_id=run_1")
    event = only_event()
    stored = json.dumps(event.headers) + json.dumps(event.query)
    for secret in [
        "super-secret-bearer",
        "super-secret-cookie",
        "mlw_super_secret_api_key",
        "upk_super_secret",
        "qs-secret",
        *ALL_SECRETS,
    ]:
        assert secret not in stored
    assert event.headers["Authorization"] == "[redacted]"
    assert event.headers["Webhook-Signature"].startswith("v1,")  # signatures are kept for debugging
    assert event.query["run_id"] == "run_1"


def test_nul_characters_in_headers_and_query_do_not_500(client: Client) -> None:
    body = fixture_bytes("standard_event")
    response = deliver(
        client, "acme", body, headers=sign_standard(body, msg_id="msg_nul"), query="run_id=a%00b&x=%00"
    )
    assert response.status_code == 200
    assert "\x00" not in json.dumps(only_event().query)


# --- database down --------------------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_database_down_answers_503_with_retry_after(client: Client) -> None:
    body = fixture_bytes("standard_event")
    headers = sign_standard(body, msg_id="msg_db_down")
    saved = dict(connection.settings_dict)
    connection.close()
    # A real outage: the next connection goes to a port where nothing listens.
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port()))
    try:
        response = deliver(client, "acme", body, headers=headers)
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "database_unavailable"
    assert deliver(client, "acme", body, headers=headers).json()["status"] == "accepted"


# --- concurrency --------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_same_delivery_twenty_times_concurrently_makes_one_row_and_one_processing(make_run: Any) -> None:
    run = make_run(result={"videos": [{"status": "pending"}]})
    delivery = kieai_delivery(run.run_id)
    responses = race(20, lambda _: delivery.send(Client()))
    answers = [(response.status_code, response.json()) for response in responses]
    assert [status for status, _ in answers] == [200] * 20
    statuses = sorted(body["status"] for _, body in answers)
    assert statuses == ["accepted"] + ["duplicate"] * 19
    assert len({body["event_id"] for _, body in answers}) == 1
    event = only_event()
    assert (event.status, event.attempts) == (EventStatus.PROCESSED, 1)
    assert Artifact.objects.filter(run_id=run.run_id, type="clip").count() == 1


# --- never a 500 --------------------------------------------------------------------------------------

HOSTILE_BODIES = [
    b"[" * 100_000 + b"]" * 100_000,  # nesting deep enough to exhaust the JSON parser's recursion
    b'{"data": {"taskId": {"nested": true}}, "code": 200}',
    b'{"data": {"taskId": "\\u0000"}, "code": 200}',
    b'{"data": "not an object", "metadata": [1, 2]}',
    b"\x00" * 64,
    b'"just a string"',
    b"null",
]


@pytest.mark.parametrize("provider", ["acme", "kieai", "upload-post", "shotstack"])
@pytest.mark.parametrize("body", HOSTILE_BODIES, ids=range(len(HOSTILE_BODIES)))
def test_hostile_bodies_never_get_a_500(client: Client, provider: str, body: bytes) -> None:
    if provider == "acme":
        headers = sign_standard(body, msg_id=f"hostile_{hash(body)}")
    elif provider == "upload-post":
        headers = sign_hmac_body(body)
    else:
        headers = {"X-Webhook-Timestamp": str(int(time.time())), "X-Webhook-Signature": "A" * 44}
    query = f"token={SHOTSTACK_TOKEN}&run_id=run_x" if provider == "shotstack" else "run_id=%00"
    response = deliver(client, provider, body, headers=headers, query=query)
    assert response.status_code in (200, 401)
    assert response.json()


def test_hostile_headers_never_get_a_500(client: Client) -> None:
    body = fixture_bytes("standard_event")
    headers = {
        **sign_standard(body, msg_id="x" * 5000),
        "Idempotency-Key": "\u00ff" * 10,
        "X-Request-Id": "é",
        "webhook-timestamp": "9" * 30,
    }
    assert deliver(client, "acme", body, headers=headers).status_code == 401
    headers = {**sign_standard(body, msg_id="x" * 5000)}
    response = deliver(client, "acme", body, headers=headers)
    assert response.status_code == 200
    assert WebhookEvent.objects.get(signature_status="valid").idempotency_key.startswith("sha256:")


def test_a_provider_without_a_secret_accepts_nothing(client: Client, settings: Any) -> None:
    from webhooks.conf import ProviderConfig

    settings.WEBHOOK_PROVIDERS = {
        **settings.WEBHOOK_PROVIDERS,
        "bare": ProviderConfig(slug="bare", scheme="standard"),
    }
    body = fixture_bytes("standard_event")
    assert_rejected(
        deliver(client, "bare", body, headers=sign_standard(body)), "invalid", "no_secret_configured"
    )


def test_intake_needs_no_csrf_token_and_no_api_key(operator: Any) -> None:
    # A logged-in browser session with CSRF enforcement must not turn a provider POST into a 403.
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(operator)
    body = fixture_bytes("standard_event")
    assert deliver(strict, "acme", body, headers=sign_standard(body, msg_id="msg_csrf")).status_code == 200
    anonymous = Client(enforce_csrf_checks=True)
    body2 = body.replace(b"4200", b"4300")
    assert (
        deliver(anonymous, "acme", body2, headers=sign_standard(body2, msg_id="msg_csrf2")).status_code == 200
    )
