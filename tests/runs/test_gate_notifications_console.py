"""What operators and API consumers see of gate notifications: the gate page's "notifications
sent", the gate policy form (validated, chat URLs redacted), the API, and the logs — a chat
webhook's secret path never shows anywhere."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from django.urls import reverse

from myloware.lib.redact import redact_every_handler, redact_url
from runs.models import GateNotification, GatePolicy, NotificationKind, NotificationStatus
from runs.services import gate_notifications_send_due
from tests.runs.conftest import CHAT_PATH, CHAT_SECRET, Notify
from tests.runs.test_gate_notifications import open_gate

pytestmark = pytest.mark.django_db

POLICY_SECRET = "policyChatSecret0123456789"


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """Everything logged meanwhile, through a handler redacted like every handler of the process."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    redact_every_handler()
    yield stream
    root.removeHandler(handler)


def test_the_gate_page_shows_what_was_sent_when_and_what_failed_with_the_chat_url_redacted(
    notify: Notify, make_run, django_capture_on_commit_callbacks, operator_client, logs
):
    notify.smtp.refuse = 1
    gate_request = open_gate(make_run, django_capture_on_commit_callbacks)
    html = operator_client.get(
        reverse("admin:runs_pendingapproval_change", args=[gate_request.pk])
    ).content.decode()
    section = html[html.index('id="gate-notifications"') :]
    section = section[: section.index("</table>")]
    chat_shown = redact_url(notify.chat_url)
    assert chat_shown.startswith(f"http://127.0.0.1:{notify.chat.port}/[redacted]#")
    assert section.count('class="notification notification-') == 6  # opened, reminder, escalation × 2
    assert chat_shown in section and "approvers@example.com" in section and "lead@example.com" in section
    assert "Sent" in section and "SMTPDataError: (451" in section
    assert section.count("due ") == 5  # the e-mail's retry, the reminders and escalations planned
    assert CHAT_SECRET not in html
    assert f"HTTP Request: POST http://127.0.0.1:{notify.chat.port}[redacted]" in logs.getvalue()
    assert CHAT_SECRET not in logs.getvalue()


def test_the_api_lists_a_gates_notifications_with_the_chat_url_redacted(
    notify: Notify, make_run, django_capture_on_commit_callbacks, api_client
):
    gate_request = open_gate(make_run, django_capture_on_commit_callbacks)
    response = api_client.get(f"/api/v1/runs/{gate_request.run_id}/gates")
    assert CHAT_SECRET not in response.content.decode()
    [gate] = response.json()["results"]
    opened = [note for note in gate["notifications"] if note["kind"] == NotificationKind.OPENED]
    assert sorted((note["channel"], note["target"], note["status"], note["attempts"]) for note in opened) == [
        ("chat", redact_url(notify.chat_url), NotificationStatus.SENT, 1),
        ("email", "approvers@example.com", NotificationStatus.SENT, 1),
    ]
    detail = api_client.get(f"/api/v1/runs/{gate_request.run_id}").json()
    assert len(detail["open_gate"]["notifications"]) == 6


def test_a_chat_url_the_receiver_refuses_is_redacted_in_the_error_the_log_and_the_page(
    notify: Notify, make_run, django_capture_on_commit_callbacks, operator_client, logs
):
    notify.chat.script = [404]
    gate_request = open_gate(make_run, django_capture_on_commit_callbacks)
    chat = GateNotification.objects.get(
        gate_request=gate_request, kind=NotificationKind.OPENED, channel="chat"
    )
    assert chat.last_error == "HTTP 404: no_service for [redacted]"
    assert "gate notification" in logs.getvalue() and "HTTP 404" in logs.getvalue()
    assert CHAT_SECRET not in logs.getvalue() and CHAT_PATH not in logs.getvalue()
    page = operator_client.get(reverse("admin:runs_pendingapproval_change", args=[gate_request.pk]))
    assert "no_service for [redacted]" in page.content.decode() and CHAT_SECRET not in page.content.decode()


def _policy_form(**fields: str) -> dict[str, str]:
    return {
        "project": "aismr",
        "gate": "ideate",
        "enabled": "on",
        "deadline_hours": "24",
        "required_approvals": "1",
        "allow_self_approval": "on",
        "approve_to": "running",
        "notify_emails": "",
        "notify_webhook_urls": "",
        "escalate_emails": "",
        **fields,
    }


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("notify_emails", "team@example.com,not-an-address", "Item 2 in the array did not validate"),
        ("escalate_emails", "boss@", "Enter a valid email address"),
        ("notify_webhook_urls", f"ftp://hooks.example.com/services/{POLICY_SECRET}", "is not an http(s) URL"),
        ("notify_webhook_urls", f"javascript:alert('{POLICY_SECRET}')", "is not an http(s) URL"),
    ],
)
def test_a_gate_policy_with_a_malformed_address_or_a_non_http_url_is_refused_on_save(
    superuser_client, field: str, value: str, error: str
):
    response = superuser_client.post(reverse("admin:runs_gatepolicy_add"), _policy_form(**{field: value}))
    html = response.content.decode()
    assert response.status_code == 200 and error in html
    assert POLICY_SECRET not in html
    assert not GatePolicy.objects.exists()


def test_the_policy_form_shows_saved_chat_urls_redacted_and_keeps_a_line_left_as_shown(superuser_client):
    saved = f"https://hooks.slack.com/services/T01/B01/{POLICY_SECRET}"
    other = "https://chat.example.com/hooks/otherChatSecret0123"
    policy = GatePolicy.objects.create(
        project="aismr", gate="ideate", deadline_hours=24, notify_webhook_urls=[saved, other]
    )
    url = reverse("admin:runs_gatepolicy_change", args=[policy.pk])
    html = superuser_client.get(url).content.decode()
    assert redact_url(saved) in html and redact_url(other) in html
    assert POLICY_SECRET not in html and "otherChatSecret" not in html
    added = "https://chat.example.com/hooks/addedChatSecret0123"
    lines = "\n".join([redact_url(saved), added])  # keep one, drop the other, add a new one
    response = superuser_client.post(
        url, _policy_form(notify_webhook_urls=lines, notify_emails="team@example.com")
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.notify_webhook_urls == [saved, added] and policy.notify_emails == ["team@example.com"]
    assert (
        "addedChatSecret"
        not in superuser_client.get(reverse("admin:runs_gatepolicy_changelist")).content.decode()
    )


def test_a_redacted_line_that_stands_for_no_saved_url_must_be_pasted_again(superuser_client):
    typed = f"https://hooks.slack.com/services/T01/B01/{POLICY_SECRET}"
    # Another field is wrong: the form comes back with the typed URL shown redacted only.
    response = superuser_client.post(
        reverse("admin:runs_gatepolicy_add"), _policy_form(notify_webhook_urls=typed, deadline_hours="0")
    )
    html = response.content.decode()
    assert redact_url(typed) in html and POLICY_SECRET not in html
    response = superuser_client.post(
        reverse("admin:runs_gatepolicy_add"), _policy_form(notify_webhook_urls=redact_url(typed))
    )
    assert "stands for a URL that is not saved: paste the full URL again" in response.content.decode()
    assert not GatePolicy.objects.exists()


def test_a_policy_that_requires_more_approvals_than_it_has_assigned_users_is_refused(
    superuser_client, make_operator
):
    ann = make_operator("ann")
    response = superuser_client.post(
        reverse("admin:runs_gatepolicy_add"),
        {**_policy_form(required_approvals="2"), "approver_users": [ann.pk]},
    )
    assert "2 approvals are required but only 1 user may decide" in response.content.decode()
    assert not GatePolicy.objects.exists()


def test_the_reminder_is_listed_as_sent_on_the_gate_page_once_it_went_out(
    notify: Notify, make_run, django_capture_on_commit_callbacks, operator_client
):
    gate_request = open_gate(make_run, django_capture_on_commit_callbacks)
    reminder_time = gate_request.opened_at + (gate_request.deadline_at - gate_request.opened_at) / 2
    gate_notifications_send_due(now=reminder_time)
    html = operator_client.get(
        reverse("admin:runs_pendingapproval_change", args=[gate_request.pk])
    ).content.decode()
    assert html.count("<td>Reminder</td>") == 2
    assert (
        GateNotification.objects.filter(
            kind=NotificationKind.REMINDER, status=NotificationStatus.SENT
        ).count()
        == 2
    )
