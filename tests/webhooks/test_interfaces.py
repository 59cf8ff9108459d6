"""Thin wiring tests of the interfaces over the services: API, admin, command, task, schedule."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Permission, User
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule
from rest_framework.test import APIClient

from runs.models import RunStatus
from tests.webhooks.conftest import deliver, fixture_bytes, sign_standard, upload_post_delivery
from webhooks.handlers import Outcome, processed
from webhooks.models import EventStatus, WebhookDLQ, WebhookEvent
from webhooks.tasks import replay_due_webhooks

pytestmark = pytest.mark.django_db


class Switch:
    def __init__(self) -> None:
        self.fail = True

    def __call__(self, event: WebhookEvent) -> Outcome:
        if self.fail:
            raise ValueError(f"boom <script>alert({event.idempotency_key!r})</script>")
        return processed()


@pytest.fixture
def switch(test_handler: Any) -> Switch:
    handler = Switch()
    test_handler("switch", handler)
    return handler


def failed_entry(client: Client, msg_id: str) -> WebhookDLQ:
    body = fixture_bytes("standard_event")
    deliver(client, "switch", body, headers=sign_standard(body, msg_id=msg_id))
    return WebhookDLQ.objects.get(idempotency_key=msg_id)


# --- API -----------------------------------------------------------------------------------------------


def test_event_list_needs_an_api_key(anonymous_client: APIClient) -> None:
    assert anonymous_client.get("/api/v1/webhooks/events").status_code == 401
    assert anonymous_client.get("/api/v1/webhooks/dlq").status_code == 401


def test_event_list_filters_and_pages_newest_first(api_client: APIClient, client: Client) -> None:
    body = fixture_bytes("standard_event")
    for i in range(5):
        deliver(client, "acme", body, headers=sign_standard(body, msg_id=f"list_{i}"))
    deliver(
        client, "acme", body, headers={**sign_standard(body, msg_id="bad"), "webhook-signature": "v1,AAAA"}
    )
    first = api_client.get("/api/v1/webhooks/events", {"provider": "acme", "limit": 3}).json()
    keys = [e["idempotency_key"] for e in first["results"]]
    second = api_client.get(first["next"]).json()
    keys += [e["idempotency_key"] for e in second["results"]]
    assert len(keys) == 6 and len(set(keys)) == 6
    received = [e["received_at"] for e in first["results"] + second["results"]]
    assert received == sorted(received, reverse=True)
    invalid = api_client.get("/api/v1/webhooks/events", {"signature_status": "invalid"}).json()["results"]
    assert [e["signature_reason"] for e in invalid] == ["mismatch"]
    ignored = api_client.get("/api/v1/webhooks/events", {"status": "ignored"}).json()["results"]
    assert len(ignored) == 5
    assert "payload" not in ignored[0]
    assert api_client.get("/api/v1/webhooks/events", {"status": "bogus"}).status_code == 422


def test_event_list_filters_by_run(api_client: APIClient, client: Client, make_run: Any) -> None:
    run = make_run()
    upload_post_delivery(run.run_id).send(client)
    body = fixture_bytes("standard_event")
    deliver(client, "acme", body, headers=sign_standard(body, msg_id="other"))
    results = api_client.get("/api/v1/webhooks/events", {"run_id": run.run_id}).json()["results"]
    assert [(e["provider"], e["status"]) for e in results] == [("upload-post", "processed")]


def test_dlq_list_filters_due_and_dead(api_client: APIClient, client: Client, switch: Switch) -> None:
    live = failed_entry(client, "live")
    dead = failed_entry(client, "dead")
    WebhookDLQ.objects.filter(pk=dead.pk).update(dead_at=timezone.now(), next_retry_at=None)
    due = failed_entry(client, "due")
    WebhookDLQ.objects.filter(pk=due.pk).update(next_retry_at=timezone.now() - timedelta(seconds=1))

    def keys(**params: Any) -> list[str]:
        response = api_client.get("/api/v1/webhooks/dlq", params)
        assert response.status_code == 200
        return sorted(e["idempotency_key"] for e in response.json()["results"])

    assert keys() == ["dead", "due", "live"]
    assert keys(due="true") == ["due"]
    assert keys(due="false") == ["dead", "live"]
    assert keys(dead="true") == ["dead"]
    assert keys(dead="false", provider="switch") == ["due", "live"]
    assert keys(provider="kieai") == []
    assert api_client.get("/api/v1/webhooks/dlq", {"due": "maybe"}).status_code == 422
    entry = next(
        e for e in api_client.get("/api/v1/webhooks/dlq").json()["results"] if e["idempotency_key"] == "live"
    )
    assert entry["event_id"] == str(live.event_id)
    assert entry["error_class"] == "builtins.ValueError"


def test_dlq_replay_endpoint(api_client: APIClient, client: Client, switch: Switch) -> None:
    entry = failed_entry(client, "api_replay")
    url = f"/api/v1/webhooks/dlq/{entry.pk}/replay"
    failed = api_client.post(url).json()
    assert (failed["outcome"], "boom" in failed["error"]) == ("failed", True)
    switch.fail = False
    assert api_client.post(url).json()["outcome"] == "processed"
    assert api_client.post(url).status_code == 404
    assert WebhookEvent.objects.get(idempotency_key="api_replay").status == EventStatus.PROCESSED


def test_webhook_endpoints_are_in_the_openapi_schema(api_client: APIClient) -> None:
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    intake = paths["/api/v1/webhooks/{provider}"]["post"]
    assert intake["security"] == [{}] or intake.get("security") in ([], [{}])
    assert set(intake["responses"]) >= {"200", "401", "404", "413", "415", "503"}
    assert "requestBody" in intake
    assert "get" in paths["/api/v1/webhooks/events"]
    assert "get" in paths["/api/v1/webhooks/dlq"]
    assert "post" in paths["/api/v1/webhooks/dlq/{entry_id}/replay"]


# --- task and schedule ---------------------------------------------------------------------------------


def test_scheduled_task_replays_due_entries(client: Client, switch: Switch) -> None:
    entry = failed_entry(client, "scheduled")
    switch.fail = False
    assert replay_due_webhooks()["replayed"] == 0  # not due yet
    WebhookDLQ.objects.filter(pk=entry.pk).update(next_retry_at=timezone.now() - timedelta(seconds=1))
    assert replay_due_webhooks() == {"replayed": 1, "replay_failed": 0}
    assert not WebhookDLQ.objects.exists()


def test_replay_of_due_entries_is_a_schedule_every_minute() -> None:
    call_command("setup_schedules", stdout=StringIO())
    schedule = Schedule.objects.get(name="webhooks.replay_due_webhooks")
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (
        "webhooks.tasks.replay_due_webhooks",
        Schedule.MINUTES,
        1,
    )


# --- command -------------------------------------------------------------------------------------------


def run_command(*args: str) -> tuple[str, str, bool]:
    out, err = StringIO(), StringIO()
    try:
        call_command("replay_webhooks", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue() + str(exc), False
    return out.getvalue(), err.getvalue(), True


def test_replay_command_dry_run_changes_nothing(client: Client, switch: Switch) -> None:
    entry = failed_entry(client, "cmd_dry")
    out, _, ok = run_command("--dry-run")
    assert ok and f"would replay {entry.pk} switch cmd_dry" in out and "1 entries would be replayed" in out
    assert WebhookDLQ.objects.get().retry_count == 0


def test_replay_command_exits_non_zero_when_a_replay_fails(client: Client, switch: Switch) -> None:
    failed_entry(client, "cmd_fail")
    out, err, ok = run_command("--provider", "switch")
    assert not ok
    assert "failed" in out and "1 replay failed" in err
    switch.fail = False
    out, _, ok = run_command("--provider", "switch", "--limit", "5")
    assert ok and "processed" in out and "1 succeeded, 0 failed" in out


def test_replay_command_skips_dead_entries_unless_asked(client: Client, switch: Switch) -> None:
    entry = failed_entry(client, "cmd_dead")
    WebhookDLQ.objects.filter(pk=entry.pk).update(dead_at=timezone.now())
    switch.fail = False
    out, _, ok = run_command()
    assert ok and "replayed 0" in out
    out, _, ok = run_command("--include-dead")
    assert ok and "1 succeeded" in out


def test_replay_command_by_id_and_unknown_id(client: Client, switch: Switch) -> None:
    one, two = failed_entry(client, "id1"), failed_entry(client, "id2")
    switch.fail = False
    out, _, ok = run_command("--id", str(one.pk))
    assert ok and str(one.pk) in out and str(two.pk) not in out
    assert list(WebhookDLQ.objects.values_list("pk", flat=True)) == [two.pk]
    _, err, ok = run_command("--id", "00000000-0000-0000-0000-000000000000")
    assert not ok and "no such dead-letter entry" in err


# --- admin ---------------------------------------------------------------------------------------------


def test_event_admin_shows_the_body_escaped_and_links_the_run(
    operator_client: Client, client: Client, make_run: Any
) -> None:
    run = make_run()
    body = b'{"event": "<script>alert(1)</script>", "job_id": "x"}'
    from tests.webhooks.conftest import sign_hmac_body

    event_id = deliver(
        client, "upload-post", body, headers=sign_hmac_body(body), query=f"run_id={run.run_id}"
    ).json()["event_id"]
    page = operator_client.get(
        reverse("admin:webhooks_webhookevent_change", args=[event_id])
    ).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert reverse("admin:runs_run_change", args=[quote(run.run_id)]) in page
    listing = operator_client.get(
        reverse("admin:webhooks_webhookevent_changelist"),
        {"provider": "upload-post", "signature_status__exact": "valid"},
    )
    assert listing.status_code == 200 and run.run_id in listing.content.decode()


def test_the_event_list_links_only_runs_that_exist_in_one_read_per_page(
    operator_client: Client, make_run: Any
) -> None:
    """A callback may name a run that never existed: the list names it in plain text instead of
    linking to a 404 page, and whether each run exists is part of the page's own query."""
    listing = reverse("admin:webhooks_webhookevent_changelist")

    def store(count: int, offset: int) -> list[str]:
        run_ids = []
        for i in range(offset, offset + count):
            run_id = make_run().run_id if i % 2 == 0 else f"run_doesnotexist{i}"
            WebhookEvent.objects.create(
                idempotency_key=f"key-{i}",
                provider="acme",
                payload=b"{}",
                signature_status="valid",
                run_id=run_id,
            )
            run_ids.append(run_id)
        return run_ids

    store(2, 0)
    with CaptureQueriesContext(connection) as two_rows:
        assert operator_client.get(listing).status_code == 200
    run_ids = store(20, 2)
    with CaptureQueriesContext(connection) as many_rows:
        page = operator_client.get(listing).content.decode()
    assert len(many_rows) == len(two_rows)
    for run_id in run_ids:
        link = reverse("admin:runs_run_change", args=[quote(run_id)])
        if run_id.startswith("run_doesnotexist"):
            assert link not in page and f'title="No run with this id exists">{run_id}</span>' in page
        else:
            assert f'<a href="{link}">{run_id}</a>' in page
    missing = WebhookEvent.objects.get(run_id="run_doesnotexist3")
    detail = operator_client.get(reverse("admin:webhooks_webhookevent_change", args=[missing.pk]))
    assert 'title="No run with this id exists">run_doesnotexist3</span>' in detail.content.decode()


def test_event_admin_reprocess_action(operator_client: Client, client: Client, switch: Switch) -> None:
    entry = failed_entry(client, "adm_reprocess")
    switch.fail = False
    response = operator_client.post(
        reverse("admin:webhooks_webhookevent_changelist"),
        {"action": "reprocess_selected", "_selected_action": [str(entry.event_id)]},
        follow=True,
    )
    assert "Reprocessed 1 event" in response.content.decode()
    assert WebhookEvent.objects.get(pk=entry.event_id).status == EventStatus.PROCESSED
    assert not WebhookDLQ.objects.exists()


def test_dlq_admin_lists_state_and_filters(operator_client: Client, client: Client, switch: Switch) -> None:
    entry = failed_entry(client, "adm_state")
    url = reverse("admin:webhooks_webhookdlq_changelist")
    page = operator_client.get(url).content.decode()
    assert "retry in" in page and "adm_state" in page
    assert "&lt;script&gt;" in page and "<script>alert" not in page
    WebhookDLQ.objects.filter(pk=entry.pk).update(dead_at=timezone.now())
    assert "DEAD" in operator_client.get(url, {"state": "dead"}).content.decode()
    assert "adm_state" not in operator_client.get(url, {"state": "due"}).content.decode()
    detail = operator_client.get(
        reverse("admin:webhooks_webhookdlq_change", args=[entry.pk])
    ).content.decode()
    assert "Traceback (most recent call last)" in detail
    assert 'name="_save"' not in detail  # read-only: changes go through the actions


def test_dlq_admin_replay_now_and_park(operator_client: Client, client: Client, switch: Switch) -> None:
    url = reverse("admin:webhooks_webhookdlq_changelist")
    one, two = failed_entry(client, "adm_1"), failed_entry(client, "adm_2")
    response = operator_client.post(url, {"action": "park", "_selected_action": [str(one.pk)]}, follow=True)
    assert "Parked 1 entry as dead" in response.content.decode()
    assert WebhookDLQ.objects.get(pk=one.pk).is_dead
    switch.fail = False
    response = operator_client.post(
        url, {"action": "replay_now", "_selected_action": [str(one.pk), str(two.pk)]}, follow=True
    )
    assert "Replayed 2 entries: 2 succeeded, 0 failed" in response.content.decode()
    assert not WebhookDLQ.objects.exists()


def test_dlq_admin_discard_asks_for_confirmation(
    operator_client: Client, client: Client, switch: Switch
) -> None:
    entry = failed_entry(client, "adm_discard")
    url = reverse("admin:webhooks_webhookdlq_changelist")
    form = {"action": "discard", "_selected_action": [str(entry.pk)]}
    confirm = operator_client.post(url, form)
    assert confirm.status_code == 200
    assert "Yes, discard 1 entry" in confirm.content.decode()
    assert WebhookDLQ.objects.exists()
    done = operator_client.post(url, {**form, "confirm": "yes"}, follow=True)
    assert "Discarded 1 entry" in done.content.decode()
    assert not WebhookDLQ.objects.exists()


def test_dlq_error_groups_view_and_replay_group(
    operator_client: Client, client: Client, switch: Switch
) -> None:
    for i in range(3):
        failed_entry(client, f"grp_{i}")
    url = reverse("admin:webhooks_webhookdlq_errors")
    page = operator_client.get(url).content.decode()
    assert "Replay group (1)" in page  # each message differs (it names the key): three groups
    error = WebhookDLQ.objects.get(idempotency_key="grp_0").error
    switch.fail = False
    response = operator_client.post(url, {"provider": "switch", "error": error}, follow=True)
    assert "From the switch group, replayed 1 entry: 1 succeeded, 0 failed" in response.content.decode()
    assert WebhookDLQ.objects.count() == 2


def test_staff_without_the_replay_permission_cannot_replay(
    client: Client, switch: Switch, operator_client: Client
) -> None:
    entry = failed_entry(client, "adm_perm")
    switch.fail = False  # a replay would now succeed and remove the entry: only the permission stops it
    viewer = User.objects.create_user("viewer", password="viewer-pass-123", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_webhookdlq"))
    staff = Client()
    staff.force_login(viewer)
    groups = reverse("admin:webhooks_webhookdlq_errors")
    assert staff.get(groups).status_code == 200
    assert staff.post(groups, {"provider": "switch", "error": entry.error}).status_code == 403
    button = reverse("admin:webhooks_webhookdlq_replay", args=[entry.pk])
    assert staff.post(button).status_code == 403
    changelist = reverse("admin:webhooks_webhookdlq_changelist")
    action = {"action": "replay_now", "_selected_action": [str(entry.pk)]}
    assert 'value="replay_now"' not in staff.get(changelist).content.decode()
    refused = staff.post(changelist, action, follow=True)
    assert refused.status_code == 200 and "Replayed" not in refused.content.decode()
    assert WebhookDLQ.objects.filter(pk=entry.pk).exists()
    # The very same request from an operator replays the entry: what was refused was a real replay.
    assert 'value="replay_now"' in operator_client.get(changelist).content.decode()
    operator_client.post(changelist, action, follow=True)
    assert not WebhookDLQ.objects.filter(pk=entry.pk).exists()


def test_operators_have_the_replay_permission(operator: User) -> None:
    assert operator.has_perm("webhooks.replay_webhookdlq")
    assert operator.has_perm("webhooks.change_webhookevent")
    assert not operator.has_perm("webhooks.add_webhookevent")


def test_run_status_is_untouched_by_admin_views(operator_client: Client, make_run: Any) -> None:
    run = make_run(status=RunStatus.RUNNING)
    assert operator_client.get(reverse("admin:webhooks_webhookevent_changelist")).status_code == 200
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING


def test_deploy_check_warns_about_providers_without_secrets(settings: Any) -> None:
    from django.core.checks import run_checks

    from webhooks.conf import ProviderConfig

    settings.WEBHOOK_PROVIDERS = {
        **settings.WEBHOOK_PROVIDERS,
        "bare": ProviderConfig(slug="bare", scheme="standard"),
    }
    messages = [m for m in run_checks(include_deployment_checks=True) if m.id == "webhooks.W001"]
    assert [m.msg for m in messages] == [
        "Webhook provider 'bare' has no secret: every delivery is answered 401 and never processed."
    ]
    assert "WEBHOOK_SECRET_BARE" in messages[0].hint


def test_event_and_dlq_detail_endpoints(
    api_client: APIClient, anonymous_client: APIClient, client: Client, switch: Switch
) -> None:
    import base64

    entry = failed_entry(client, "detail")
    event = api_client.get(f"/api/v1/webhooks/events/{entry.event_id}").json()
    body = fixture_bytes("standard_event")
    assert base64.b64decode(event["payload_base64"]) == body
    assert event["payload_text"] == body.decode()
    assert event["status"] == "failed" and event["idempotency_rule"] == "header:webhook-id"
    dlq = api_client.get(f"/api/v1/webhooks/dlq/{entry.pk}").json()
    assert dlq["event_id"] == str(entry.event_id)
    assert "Traceback (most recent call last)" in dlq["traceback"]
    assert api_client.get("/api/v1/webhooks/dlq/00000000-0000-0000-0000-000000000000").status_code == 404
    assert anonymous_client.get(f"/api/v1/webhooks/events/{entry.event_id}").status_code == 401
