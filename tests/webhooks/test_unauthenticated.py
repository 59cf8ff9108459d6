"""Unauthenticated deliveries cost bounded space and time: the rejected-body budget, the failure
limit per sender, bounded metadata, no link to a run, deletion by operators.

Over real HTTP against gunicorn: tests/webhooks/test_unauthenticated_http.py."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from artifacts.models import Artifact
from myloware.lib.errors import RateLimited
from runs.models import Run
from runs.selectors import run_timeline
from tests.race import race, raised
from tests.webhooks.conftest import deliver, fixture_bytes, kieai_delivery, sign_kieai, sign_standard
from webhooks.models import (
    UNKNOWN_PROVIDER,
    PayloadDropReason,
    RejectedBodyBudget,
    VerificationFailureWindow,
    WebhookEvent,
)
from webhooks.services import (
    failure_client,
    webhook_intake_admit,
    webhook_intake_counters_prune,
    webhook_receive,
)

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
FORGER = "198.51.100.7"


def forged(size: int, tag: str = "") -> tuple[bytes, dict[str, str]]:
    """A Standard-Webhooks body of exactly ``size`` bytes with a signature that does not match."""
    head = json.dumps({"type": "forged", "tag": tag, "pad": ""}).encode()
    body = head[:-2] + b"x" * (size - len(head)) + head[-2:]
    assert len(body) == size
    return body, {**sign_standard(body, msg_id=f"forged-{tag}"), "webhook-signature": "v1,Zm9yZ2Vk"}


def receive_forged(
    size: int, tag: str, *, now: datetime = NOON, provider: str = "acme", client: str = FORGER
) -> WebhookEvent:
    body, headers = forged(size, tag)
    receipt = webhook_receive(provider=provider, body=body, headers=headers, query={}, client=client, now=now)
    assert receipt.outcome in ("rejected", "unknown_provider")
    return WebhookEvent.objects.get(pk=receipt.event_id)


def budget_row(provider: str, hour: datetime) -> RejectedBodyBudget:
    return RejectedBodyBudget.objects.get(provider=provider, hour=hour)


# --- the rejected-body budget --------------------------------------------------------------------


def test_rejected_bodies_are_kept_within_the_hourly_budget_then_only_size_and_sha256(settings: Any) -> None:
    settings.WEBHOOK_REJECTED_BODY_BUDGET = 1000
    events = [receive_forged(400, f"b{n}", now=NOON + timedelta(minutes=n)) for n in range(4)]
    small = receive_forged(150, "small", now=NOON + timedelta(minutes=5))
    assert [len(bytes(event.payload)) for event in events] == [400, 400, 0, 0]
    assert [event.payload_size for event in events] == [400, 400, 400, 400]
    assert bytes(events[0].payload) == forged(400, "b0")[0]
    dropped = events[2]
    assert dropped.payload_dropped_at == NOON + timedelta(minutes=2)
    assert dropped.payload_drop_reason == PayloadDropReason.REJECTED_BUDGET
    assert dropped.payload_sha256 == hashlib.sha256(forged(400, "b2")[0]).hexdigest()
    # A byte budget: a smaller body still fits after larger ones were dropped.
    assert bytes(small.payload) == forged(150, "small")[0] and small.payload_dropped_at is None
    budget = budget_row("acme", NOON)
    assert (budget.kept_bytes, budget.bodies_kept, budget.dropped_bytes, budget.bodies_dropped) == (
        950,
        3,
        800,
        2,
    )


def test_the_budget_is_per_provider_and_per_hour(settings: Any) -> None:
    settings.WEBHOOK_REJECTED_BODY_BUDGET = 500
    assert receive_forged(400, "a", now=NOON + timedelta(minutes=59)).payload_dropped_at is None
    assert (
        receive_forged(400, "b", now=NOON + timedelta(minutes=59, seconds=59)).payload_dropped_at is not None
    )
    # Another provider has its own budget; so has the next hour.
    assert (
        receive_forged(400, "c", now=NOON + timedelta(minutes=59), provider="upload-post").payload_dropped_at
        is None
    )
    assert receive_forged(400, "d", now=NOON + timedelta(hours=1)).payload_dropped_at is None
    # Every unknown slug shares one budget.
    assert receive_forged(400, "e", provider="nobody").payload_dropped_at is None
    assert receive_forged(400, "f", provider="somebody-else").payload_dropped_at is not None
    assert budget_row(UNKNOWN_PROVIDER, NOON).bodies_dropped == 1


def test_a_repeated_forged_request_is_one_row(settings: Any) -> None:
    first = receive_forged(300, "same")
    again = receive_forged(300, "same", now=NOON + timedelta(seconds=1))
    assert first.pk == again.pk
    assert WebhookEvent.objects.count() == 1


def test_a_genuine_delivery_is_stored_whole_whatever_the_budget(client: Client, settings: Any) -> None:
    settings.WEBHOOK_REJECTED_BODY_BUDGET = 0
    body = json.dumps({"type": "genuine", "pad": "y" * 500_000}).encode()
    response = deliver(client, "acme", body, headers=sign_standard(body, msg_id="genuine-big"))
    assert response.status_code == 200
    event = WebhookEvent.objects.get(pk=response.json()["event_id"])
    assert bytes(event.payload) == body
    assert (event.payload_size, event.payload_sha256) == (len(body), hashlib.sha256(body).hexdigest())
    assert event.payload_dropped_at is None and event.payload_drop_reason is None
    assert not RejectedBodyBudget.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_racing_rejected_deliveries_never_exceed_the_budget(settings: Any) -> None:
    settings.WEBHOOK_REJECTED_BODY_BUDGET = 1000
    for round_ in range(5):
        hour = NOON + timedelta(hours=round_)
        outcomes = race(
            8,
            lambda n, round_=round_, hour=hour: receive_forged(
                300, f"r{round_}-{n}", now=hour, client=f"203.0.113.{n}"
            ),
            connect_first=True,
        )
        assert raised(outcomes) == []
        kept = [event for event in outcomes if event.payload_dropped_at is None]
        assert len(kept) == 3  # 3 × 300 ≤ 1000 < 4 × 300, whoever wins
        assert all(bytes(event.payload) for event in kept)
        budget = budget_row("acme", hour)
        assert (budget.kept_bytes, budget.bodies_kept, budget.bodies_dropped) == (900, 3, 5)


def test_the_database_refuses_a_dropped_body_that_is_not_empty() -> None:
    event = receive_forged(100, "x")
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookEvent.objects.filter(pk=event.pk).update(
            payload_dropped_at=NOON, payload_drop_reason=PayloadDropReason.REJECTED_BUDGET
        )


# --- bounded metadata ----------------------------------------------------------------------------


def test_a_rejected_delivery_keeps_bounded_headers_and_query(client: Client) -> None:
    body, headers = forged(200, "headers")
    many = {f"X-Filler-{n}": "f" * 2000 for n in range(60)}
    query = "&".join(f"p{n}={'q' * 300}" for n in range(30))
    rejected = deliver(client, "acme", body, headers={**headers, **many}, query=query)
    assert rejected.status_code == 401
    event = WebhookEvent.objects.get(pk=rejected.json()["error"]["details"]["event_id"])
    assert len(json.dumps(event.headers)) < 10 * 1024 and "more not kept" in event.headers["…"]
    assert len(json.dumps(event.query)) < 10 * 1024
    assert all(len(value) <= 1024 for value in event.headers.values())
    # A verified delivery keeps its headers whole.
    valid = fixture_bytes("standard_event")
    accepted = deliver(client, "acme", valid, headers={**sign_standard(valid, msg_id="m-h"), **many})
    stored = WebhookEvent.objects.get(pk=accepted.json()["event_id"])
    assert stored.headers["X-Filler-59"] == "f" * 2000


# --- the failure limit per sender ----------------------------------------------------------------


def post_forged(
    client: Client, tag: str, *, address: str = FORGER, provider: str = "acme", **extra: Any
) -> Any:
    body, headers = forged(300, tag)
    return deliver(client, provider, body, headers=headers, REMOTE_ADDR=address, **extra)


def test_failed_verifications_are_limited_per_provider_and_address_before_the_body_is_read(
    client: Client, settings: Any
) -> None:
    settings.WEBHOOK_FAILURE_LIMIT = 3
    settings.WEBHOOK_FAILURE_WINDOW = 60
    assert [post_forged(client, f"f{n}").status_code for n in range(3)] == [401, 401, 401]

    class Unreadable(io.RawIOBase):
        def read(self, size: int = -1) -> bytes:  # pragma: no cover - must not be called
            raise AssertionError("the body of a refused sender was read")

    refused = post_forged(client, "f3", CONTENT_LENGTH=str(900_000), **{"wsgi.input": Unreadable()})
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    error = refused.json()["error"]
    assert (error["code"], error["details"]["retry_after"]) == ("rate_limited", int(refused["Retry-After"]))
    assert WebhookEvent.objects.count() == 3  # the refused request left nothing
    # Another provider from that address, and that provider from another address, go on.
    assert post_forged(client, "other-provider", provider="upload-post").status_code == 401
    genuine = fixture_bytes("standard_event")
    accepted = deliver(
        client, "acme", genuine, headers=sign_standard(genuine, msg_id="g1"), REMOTE_ADDR="192.0.2.1"
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"


def test_the_window_ends_and_the_sender_may_try_again(settings: Any) -> None:
    settings.WEBHOOK_FAILURE_LIMIT = 2
    settings.WEBHOOK_FAILURE_WINDOW = 60
    receive_forged(100, "w1", now=NOON)
    receive_forged(100, "w2", now=NOON + timedelta(seconds=10))
    with pytest.raises(RateLimited) as refused:
        webhook_intake_admit(provider="acme", client=FORGER, now=NOON + timedelta(seconds=15))
    assert refused.value.retry_after == 45
    webhook_intake_admit(provider="acme", client=FORGER, now=NOON + timedelta(seconds=60))
    # A failure after the window starts a new one.
    receive_forged(100, "w3", now=NOON + timedelta(seconds=61))
    window = VerificationFailureWindow.objects.get(provider="acme", client=FORGER)
    assert (window.window_start, window.failures) == (NOON + timedelta(seconds=61), 1)
    webhook_intake_admit(provider="acme", client=FORGER, now=NOON + timedelta(seconds=62))


def test_unknown_providers_share_one_failure_limit(client: Client, settings: Any) -> None:
    settings.WEBHOOK_FAILURE_LIMIT = 2
    assert post_forged(client, "u1", provider="wp-login").status_code == 404
    assert post_forged(client, "u2", provider="phpmyadmin").status_code == 404
    refused = post_forged(client, "u3", provider="xmlrpc")
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"


@pytest.mark.django_db(transaction=True)
def test_racing_failures_are_all_counted(settings: Any) -> None:
    for round_ in range(5):
        address = f"203.0.113.{round_ + 1}"
        outcomes = race(
            10,
            lambda n, round_=round_, address=address: receive_forged(100, f"c{round_}-{n}", client=address),
            connect_first=True,
        )
        assert raised(outcomes) == []
        assert VerificationFailureWindow.objects.get(provider="acme", client=address).failures == 10


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("not-an-address\x00", "not-an-address\ufffd"),
    ],
)
def test_senders_are_counted_by_address_and_ipv6_by_64(address: str, key: str) -> None:
    assert failure_client(address) == key


def test_behind_trusted_proxies_the_forwarded_address_is_the_sender(client: Client, settings: Any) -> None:
    settings.WEBHOOK_FAILURE_LIMIT = 1
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"address": "10.0.0.2"}
    assert post_forged(client, "p1", HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.7", **proxy).status_code == 401
    # Same proxy, another client: not limited; the forger again: limited.
    assert post_forged(client, "p2", HTTP_X_FORWARDED_FOR="198.51.100.8", **proxy).status_code == 401
    assert post_forged(client, "p3", HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy).status_code == 429
    assert set(WebhookEvent.objects.values_list("client_address", flat=True)) == {
        "198.51.100.7",
        "198.51.100.8",
    }


# --- rejected deliveries never touch a run -------------------------------------------------------


def test_a_rejected_delivery_naming_a_run_never_links_to_it(client: Client, make_run: Any) -> None:
    run = make_run(status="running")
    before = Run.objects.get(pk=run.run_id)
    delivery = kieai_delivery(run.run_id, data__metadata={"run_id": run.run_id, "videoIndex": 0})
    forged_headers = {
        **delivery.headers,
        "X-Webhook-Signature": sign_kieai(b'{"data": {"taskId": "x"}}')["X-Webhook-Signature"],
    }
    response = deliver(client, "kieai", delivery.body, headers=forged_headers, query=delivery.query)
    assert response.status_code == 401
    event = WebhookEvent.objects.get(pk=response.json()["error"]["details"]["event_id"])
    assert event.run_id is None
    assert event.query["run_id"] == run.run_id  # what it claimed stays visible for the audit
    after = Run.objects.get(pk=run.run_id)
    assert (after.status, after.result, after.updated_at) == (before.status, before.result, before.updated_at)
    assert not Artifact.objects.filter(run_id=run.run_id).exists()
    assert not [row for row in run_timeline(run_id=run.run_id) if row["kind"] == "webhook"]


def test_the_database_refuses_a_run_on_an_unverified_event(make_run: Any) -> None:
    run = make_run(status="running")
    event = receive_forged(100, "run")
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookEvent.objects.filter(pk=event.pk).update(run_id=run.run_id)


# --- operators delete rejected events ------------------------------------------------------------


def mixed_events(client: Client) -> tuple[list[WebhookEvent], WebhookEvent]:
    rejected = [receive_forged(100, f"del{n}") for n in range(3)]
    body = fixture_bytes("standard_event")
    accepted = deliver(client, "acme", body, headers=sign_standard(body, msg_id="keep-me"))
    return rejected, WebhookEvent.objects.get(pk=accepted.json()["event_id"])


def test_operators_delete_rejected_events_in_bulk_and_verified_ones_stay(
    operator_client: Client, client: Client
) -> None:
    rejected, verified = mixed_events(client)
    url = reverse("admin:webhooks_webhookevent_changelist")
    form = {"action": "delete_rejected", "_selected_action": [str(e.pk) for e in [*rejected, verified]]}
    confirm = operator_client.post(url, form)
    page = confirm.content.decode()
    assert confirm.status_code == 200 and "Yes, delete 3 rejected events" in page
    assert "1 verified event among the selection" in page
    assert WebhookEvent.objects.count() == 4
    done = operator_client.post(url, {**form, "confirm": "yes"}, follow=True)
    assert "Deleted 3 rejected events; 1 verified event kept" in done.content.decode()
    assert list(WebhookEvent.objects.values_list("pk", flat=True)) == [verified.pk]
    # No way to delete a verified event: no delete page, no Django bulk delete.
    assert (
        operator_client.get(reverse("admin:webhooks_webhookevent_delete", args=[verified.pk])).status_code
        == 403
    )
    response = operator_client.post(
        url, {"action": "delete_selected", "_selected_action": [str(verified.pk)]}
    )
    assert WebhookEvent.objects.filter(pk=verified.pk).exists(), response.status_code


def test_staff_without_the_permission_cannot_delete_rejected_events(client: Client) -> None:
    rejected, _ = mixed_events(client)
    viewer = User.objects.create_user("viewer", password="viewer-pass-123", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_webhookevent"))
    staff = Client()
    staff.force_login(viewer)
    url = reverse("admin:webhooks_webhookevent_changelist")
    assert "delete_rejected" not in staff.get(url).content.decode()
    staff.post(
        url, {"action": "delete_rejected", "confirm": "yes", "_selected_action": [str(rejected[0].pk)]}
    )
    assert WebhookEvent.objects.count() == 4


def test_deleting_rejected_events_needs_the_csrf_token(operator: User, client: Client) -> None:
    rejected, _ = mixed_events(client)
    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(operator)
    url = reverse("admin:webhooks_webhookevent_changelist")
    response = guarded.post(
        url, {"action": "delete_rejected", "confirm": "yes", "_selected_action": [str(rejected[0].pk)]}
    )
    assert response.status_code == 403
    assert WebhookEvent.objects.count() == 4


def test_the_event_page_and_the_api_say_the_body_was_not_kept(
    operator_client: Client, api_client: Any, settings: Any
) -> None:
    settings.WEBHOOK_REJECTED_BODY_BUDGET = 10
    event = receive_forged(300, "note")
    page = operator_client.get(
        reverse("admin:webhooks_webhookevent_change", args=[event.pk])
    ).content.decode()
    assert "body not kept: over the hourly budget for bodies of rejected deliveries" in page
    assert "300 bytes" in page and event.payload_sha256 in page
    detail = api_client.get(f"/api/v1/webhooks/events/{event.pk}").json()
    assert detail["payload_note"] == "body not kept: over the hourly budget for bodies of rejected deliveries"
    assert (detail["payload_base64"], detail["payload_text"]) == (None, None)
    assert (detail["payload_size"], detail["payload_sha256"]) == (300, event.payload_sha256)
    assert detail["payload_drop_reason"] == "rejected_budget"
    listed = api_client.get("/api/v1/webhooks/events").json()["results"]
    assert [(row["payload_size"], row["payload_note"] != "") for row in listed] == [(300, True)]


# --- the migration ---------------------------------------------------------------------------------


# Transactional: webhooks.0008 builds its indexes CONCURRENTLY, which cannot run (either way) inside
# the transaction of an ordinary test.
@pytest.mark.django_db(transaction=True)
def test_the_migration_backfills_size_and_sha256_and_unlinks_unverified_events(make_run: Any) -> None:
    run = make_run(status="running")
    executor = MigrationExecutor(connection)
    executor.migrate([("webhooks", "0005_processor_leases")])
    with connection.cursor() as cursor:
        for key, status in (("v", "valid"), ("i", "invalid")):
            cursor.execute(
                "INSERT INTO webhook_events (id, idempotency_key, provider, headers, payload, signature_status, "
                "received_at, status, run_id) VALUES (gen_random_uuid(), %s, 'kieai', '{}', %s, %s, now(), "
                "'received', %s)",
                [key, f"body-{key}".encode(), status, run.run_id],
            )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    rows = {e.idempotency_key: e for e in WebhookEvent.objects.all()}
    assert (rows["v"].payload_size, rows["v"].payload_sha256) == (6, hashlib.sha256(b"body-v").hexdigest())
    assert (rows["v"].run_id, rows["i"].run_id) == (run.run_id, None)
    # Reversible: back to 0005 and forward again.
    executor = MigrationExecutor(connection)
    executor.migrate([("webhooks", "0005_processor_leases")])
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert (
        WebhookEvent.objects.get(idempotency_key="i").payload_sha256 == hashlib.sha256(b"body-i").hexdigest()
    )


def test_the_hourly_job_forgets_ended_windows_and_old_budgets() -> None:
    receive_forged(100, "old", now=NOON - timedelta(days=8), client="203.0.113.1")
    receive_forged(100, "ended", now=NOON - timedelta(minutes=5), client="203.0.113.2")
    receive_forged(100, "live", now=NOON - timedelta(seconds=5), client="203.0.113.3")
    assert webhook_intake_counters_prune(now=NOON) == {"failure_windows": 2, "budgets": 1}
    assert list(VerificationFailureWindow.objects.values_list("client", flat=True)) == ["203.0.113.3"]
    assert RejectedBodyBudget.objects.get().hour == datetime(2026, 3, 2, 11, tzinfo=UTC)


def test_an_operator_lifts_a_senders_limit(operator_client: Client, client: Client, settings: Any) -> None:
    settings.WEBHOOK_FAILURE_LIMIT = 1
    assert post_forged(client, "l1").status_code == 401
    assert post_forged(client, "l2").status_code == 429
    url = reverse("admin:webhooks_verificationfailurewindow_changelist")
    listing = operator_client.get(url).content.decode()
    assert FORGER in listing and 'alt="True"' in listing  # refused now
    window = VerificationFailureWindow.objects.get(client=FORGER)
    done = operator_client.post(url, {"action": "lift", "_selected_action": [str(window.pk)]}, follow=True)
    assert "Lifted the limit of 1 sender" in done.content.decode()
    assert post_forged(client, "l3").status_code == 401
