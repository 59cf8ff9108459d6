"""Approvers are told: a gate's opening, reminder, escalation and outcome reach a real SMTP server
and a real chat webhook receiver, once each, retried when a channel fails, never holding the gate."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import Group, User

from artifacts.services import artifact_create
from myloware.admin_utils import when
from runs import tasks
from runs.models import (
    GateNotification,
    GatePolicy,
    GateRequest,
    GateStatus,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    Run,
    RunStatus,
)
from runs.services import gate_decide, gate_expire_due, gate_notifications_send_due, gate_open, notify_backoff
from tests.runs.conftest import CHAT_PATH, CONSOLE, Notify

pytestmark = pytest.mark.django_db


def open_gate(make_run: Callable[..., Run], capture: Callable, *, project: str = "aismr") -> GateRequest:
    """A running run with an idea under review; its ideate gate opened, the commit's tasks run."""
    run = make_run(project=project)
    idea, _ = artifact_create(run_id=run.run_id, type="idea", persona="iggy", metadata={"text": "soap"})
    with capture(execute=True):
        gate_request, _ = gate_open(
            run_id=run.run_id,
            gate="ideate",
            actor="api:orchestrator",
            summary="Three soap-cutting ideas\nfrom the ASMR corpus",
            artifact_ids=[str(idea.id)],
        )
    gate_request.refresh_from_db()
    return gate_request


def at_share(gate_request: GateRequest, share: float) -> datetime:
    """The clock when ``share`` of the gate's time to its deadline has passed."""
    return gate_request.opened_at + (gate_request.deadline_at - gate_request.opened_at) * share


def notes(gate_request: GateRequest, kind: str) -> dict[tuple[str, str], GateNotification]:
    rows = GateNotification.objects.filter(gate_request=gate_request, kind=kind)
    return {(row.channel, row.target_display): row for row in rows}


def test_a_gate_opening_tells_each_channel_once_what_waits_who_opened_it_and_where_to_decide(
    notify: Notify, make_run, django_capture_on_commit_callbacks, client
):
    gate_request = open_gate(make_run, django_capture_on_commit_callbacks)
    run_id = gate_request.run_id
    link = f"{CONSOLE}/admin/runs/pendingapproval/{gate_request.pk}/change/"

    [mail] = notify.smtp.to("approvers@example.com")
    assert mail.subject.startswith(f"[MyloWare] aismr: the ideate gate of {run_id} waits for a decision")
    assert "deadline in 23 hours" in mail.subject or "deadline in 1 day" in mail.subject
    for expected in (
        f"Project aismr · run {run_id} (awaiting_approval) · ideate gate (open)",
        "Under review: 1 idea",
        "Summary: Three soap-cutting ideas\nfrom the ASMR corpus",
        f"Opened by api:orchestrator at {when(gate_request.opened_at)}",
        f"Deadline: {when(gate_request.deadline_at)}",
        "Approvals: 0 of 1",
        f"Decision page (login required): {link}",
    ):
        assert expected in mail.body
    [post] = notify.chat.to(CHAT_PATH)
    assert post.body["text"] == f"{mail.subject} {link}"
    assert [block["type"] for block in post.body["blocks"]] == ["header", "section", "actions"]
    assert post.body["blocks"][0]["text"]["text"] == mail.subject
    assert "Under review: 1 idea" in post.body["blocks"][1]["text"]["text"]
    assert post.body["blocks"][2]["elements"][0]["url"] == link
    # The escalation contacts hear nothing yet.
    assert notify.smtp.to("lead@example.com") == []

    opened = notes(gate_request, NotificationKind.OPENED)
    assert {(channel, row.status) for (channel, _), row in opened.items()} == {
        ("email", NotificationStatus.SENT),
        ("chat", NotificationStatus.SENT),
    }
    assert all(row.attempts == 1 and row.sent_at is not None for row in opened.values())
    # The link leads to a login, and following it decides nothing.
    assert client.get(link.removeprefix(CONSOLE)).status_code == 302
    assert GateRequest.objects.get(pk=gate_request.pk).status == GateStatus.OPEN


def test_the_reminder_and_the_escalation_go_out_at_their_share_of_the_deadline_once(
    notify: Notify, make_run, django_capture_on_commit_callbacks
):
    gate_request = open_gate(make_run, django_capture_on_commit_callbacks)
    just_before = at_share(gate_request, 0.5) - timedelta(seconds=1)
    assert gate_notifications_send_due(now=just_before) == 0

    reminder_time = at_share(gate_request, 0.5)
    assert gate_notifications_send_due(now=reminder_time) == 2  # e-mail + chat
    [_, reminder] = notify.smtp.to("approvers@example.com")
    assert reminder.subject.startswith(
        f"[MyloWare] Reminder: aismr: the ideate gate of {gate_request.run_id}"
    )
    assert "deadline in 12 hours" in reminder.subject
    assert len(notify.chat.to(CHAT_PATH)) == 2
    assert notify.smtp.to("lead@example.com") == []
    # A replayed schedule at the same time sends nothing more.
    assert gate_notifications_send_due(now=reminder_time) == 0

    escalation_time = at_share(gate_request, 0.8)
    assert gate_notifications_send_due(now=escalation_time - timedelta(seconds=1)) == 0
    assert gate_notifications_send_due(now=escalation_time) == 2  # the lead + chat
    [escalation] = notify.smtp.to("lead@example.com")
    assert escalation.subject.startswith(
        f"[MyloWare] Escalation: aismr: the ideate gate of {gate_request.run_id}"
    )
    assert len(notify.chat.to(CHAT_PATH)) == 3
    assert len(notify.smtp.to("approvers@example.com")) == 2  # not escalated to the approvers' list
    for later in (escalation_time, escalation_time + timedelta(hours=1)):
        assert gate_notifications_send_due(now=later) == 0
    assert len(notify.smtp.mails) == 3 and len(notify.chat.posts) == 3


def test_the_decision_is_announced_to_everyone_told_and_what_was_still_to_come_is_skipped(
    notify: Notify, make_run, django_capture_on_commit_callbacks
):
    gate_request = open_gate(make_run, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        gate_decide(
            run_id=gate_request.run_id,
            gate="ideate",
            decision="reject",
            actor="admin:ann",
            comment="Too loud",
        )
    [_, closed] = notify.smtp.to("approvers@example.com")
    assert closed.subject.startswith(
        f"[MyloWare] aismr: the ideate gate of {gate_request.run_id} was rejected by admin:ann at "
    )
    assert "Comment: Too loud" in closed.body
    assert f"run {gate_request.run_id} (rejected)" in closed.body
    assert "rejected by admin:ann" in notify.chat.to(CHAT_PATH)[-1].body["text"]
    # Not escalated, so the escalation contacts are not told the outcome either.
    assert notify.smtp.to("lead@example.com") == []
    statuses = dict(
        GateNotification.objects.filter(gate_request=gate_request)
        .exclude(kind__in=[NotificationKind.OPENED, NotificationKind.CLOSED])
        .values_list("kind", "status")
        .distinct()
    )
    assert statuses == {
        NotificationKind.REMINDER: NotificationStatus.SKIPPED,
        NotificationKind.ESCALATION: NotificationStatus.SKIPPED,
    }
    assert gate_notifications_send_due(now=at_share(gate_request, 0.9)) == 0
    assert len(notify.smtp.mails) == 2 and len(notify.chat.posts) == 2


def test_an_expiry_after_an_escalation_is_announced_to_the_escalation_contacts_too(
    notify: Notify, make_run, django_capture_on_commit_callbacks
):
    gate_request = open_gate(make_run, django_capture_on_commit_callbacks)
    assert gate_notifications_send_due(now=at_share(gate_request, 0.8)) == 4  # reminder and escalation
    with django_capture_on_commit_callbacks(execute=True):
        assert gate_expire_due(now=gate_request.deadline_at) == 1
    gate_notifications_send_due(now=gate_request.deadline_at)
    [_, expired] = notify.smtp.to("lead@example.com")
    assert "expired undecided" in expired.subject and "the run failed" in expired.subject
    assert f"run {gate_request.run_id} (failed)" in expired.body
    assert "expired undecided" in notify.smtp.to("approvers@example.com")[-1].subject
    assert len(notify.chat.to(CHAT_PATH)) == 4  # opened, reminder, escalation, expired


def test_a_failing_channel_is_retried_with_backoff_until_it_takes_the_message_and_the_gate_never_waits(
    notify: Notify, make_run, django_capture_on_commit_callbacks, settings
):
    notify.smtp.refuse = 1
    notify.chat.script = [500, 503]
    gate_request = open_gate(make_run, django_capture_on_commit_callbacks)
    # The gate opened and the run waits at it whatever the channels said.
    assert gate_request.status == GateStatus.OPEN
    assert Run.objects.get(pk=gate_request.run_id).status == RunStatus.AWAITING_APPROVAL
    opened = notes(gate_request, NotificationKind.OPENED)
    email = opened[("email", "approvers@example.com")]
    [chat] = [row for (channel, _), row in opened.items() if channel == NotificationChannel.CHAT]
    assert (email.status, email.attempts) == (NotificationStatus.PENDING, 1)
    assert email.last_error.startswith("SMTPDataError: (451")
    assert (chat.status, chat.attempts, chat.last_error) == (
        NotificationStatus.PENDING,
        1,
        "HTTP 500: no_service for [redacted]",
    )
    assert notify.smtp.mails == [] and notify.chat.posts == []
    # Each is due again 30 s after its attempt (the chat was tried first); not before.
    assert email.next_attempt_at is not None and chat.next_attempt_at is not None
    assert chat.next_attempt_at <= email.next_attempt_at
    assert gate_notifications_send_due(now=chat.next_attempt_at - timedelta(seconds=1)) == 0
    retry = email.next_attempt_at
    assert gate_notifications_send_due(now=retry) == 1  # the e-mail; the chat answers 503 again
    chat.refresh_from_db()
    assert (chat.attempts, chat.last_error) == (2, "HTTP 503: no_service for [redacted]")
    assert chat.next_attempt_at == retry + notify_backoff(2) == retry + timedelta(seconds=60)
    assert gate_notifications_send_due(now=chat.next_attempt_at - timedelta(seconds=1)) == 0
    assert gate_notifications_send_due(now=chat.next_attempt_at) == 1
    chat.refresh_from_db()
    assert (chat.status, chat.attempts, chat.last_error) == (NotificationStatus.SENT, 3, "")
    assert len(notify.smtp.to("approvers@example.com")) == 1 and len(notify.chat.to(CHAT_PATH)) == 1


def test_a_channel_that_keeps_failing_is_given_up_after_the_maximum_attempts(
    notify: Notify, make_run, django_capture_on_commit_callbacks, settings
):
    settings.GATE_NOTIFY_MAX_ATTEMPTS = 3
    settings.GATE_NOTIFY_WEBHOOK_URLS = []
    notify.smtp.refuse = 100
    gate_request = open_gate(make_run, django_capture_on_commit_callbacks)
    row = GateNotification.objects.get(gate_request=gate_request, kind=NotificationKind.OPENED)
    while row.status == NotificationStatus.PENDING:
        assert row.next_attempt_at is not None
        gate_notifications_send_due(now=row.next_attempt_at)
        row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at) == (NotificationStatus.FAILED, 3, None)
    assert "451" in row.last_error
    assert GateRequest.objects.get(pk=gate_request.pk).status == GateStatus.OPEN


def test_a_replayed_task_or_schedule_sends_nothing_more(
    notify: Notify, make_run, django_capture_on_commit_callbacks
):
    gate_request = open_gate(make_run, django_capture_on_commit_callbacks)
    assert tasks.gate_notifications_send(gate_request.pk) == 0
    assert tasks.gate_notifications_due() == 0
    assert len(notify.smtp.mails) == 1 and len(notify.chat.posts) == 1


def test_a_project_policy_replaces_the_environments_recipients_and_adds_its_assigned_approvers(
    notify: Notify, make_run, django_capture_on_commit_callbacks
):
    ann = User.objects.create_user("ann", email="ann@example.com")
    reviewers = Group.objects.create(name="reviewers")
    User.objects.create_user("bob", email="bob@example.com").groups.add(reviewers)
    User.objects.create_user("nomail").groups.add(reviewers)
    policy = GatePolicy.objects.create(
        project="aismr",
        gate="ideate",
        deadline_hours=10,
        notify_emails=["aismr-team@example.com"],
        notify_webhook_urls=[notify.chat.url("/services/T0AISMR/B0AISMR/aismrChannelSecret99")],
    )
    policy.approver_users.add(ann)
    policy.approver_groups.add(reviewers)

    aismr = open_gate(make_run, django_capture_on_commit_callbacks, project="aismr")
    other = open_gate(make_run, django_capture_on_commit_callbacks, project="other")

    assert {mail.rcpt_tos[0] for mail in notify.smtp.mails if aismr.run_id in mail.subject} == {
        "aismr-team@example.com",
        "ann@example.com",
        "bob@example.com",
    }
    assert {mail.rcpt_tos[0] for mail in notify.smtp.mails if other.run_id in mail.subject} == {
        "approvers@example.com"
    }
    assert [post.path for post in notify.chat.posts] == [
        "/services/T0AISMR/B0AISMR/aismrChannelSecret99",
        CHAT_PATH,
    ]
    assert "May decide: ann, group reviewers" in notify.smtp.to("ann@example.com")[0].body
    # The escalation list was not set on the policy: the environment's is used.
    assert ("email", "lead@example.com") in notes(aismr, NotificationKind.ESCALATION)


def test_a_gate_nobody_is_configured_to_hear_about_plans_no_messages(
    settings, make_run, django_capture_on_commit_callbacks
):
    settings.GATE_NOTIFY_EMAILS = settings.GATE_ESCALATE_EMAILS = settings.GATE_NOTIFY_WEBHOOK_URLS = []
    gate_request = open_gate(make_run, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        gate_decide(run_id=gate_request.run_id, gate="ideate", decision="approve", actor="admin:ann")
    assert not GateNotification.objects.exists()


def test_a_gate_disabled_by_policy_sends_nothing(notify: Notify, make_run, settings):
    settings.GATE_DISABLED = ["ideate"]
    run = make_run()
    gate_request, _ = gate_open(run_id=run.run_id, gate="ideate", actor="api:orchestrator")
    assert gate_request.status == GateStatus.APPROVED
    assert not GateNotification.objects.exists()


@pytest.mark.parametrize(
    ("remind_at", "escalate_at", "kinds"), [(0, 0.8, {"escalation"}), (0.5, 0, {"reminder"})]
)
def test_a_share_of_zero_turns_the_reminder_or_the_escalation_off(
    notify: Notify, make_run, django_capture_on_commit_callbacks, settings, remind_at, escalate_at, kinds
):
    settings.GATE_REMIND_AT, settings.GATE_ESCALATE_AT = remind_at, escalate_at
    gate_request = open_gate(make_run, django_capture_on_commit_callbacks)
    planned = set(gate_request.notifications.exclude(kind="opened").values_list("kind", flat=True))
    assert planned == kinds


def test_deleting_a_run_in_sql_removes_its_gates_notifications_too(
    notify: Notify, make_run, django_capture_on_commit_callbacks
):
    from django.db import connection

    gate_request = open_gate(make_run, django_capture_on_commit_callbacks)
    assert GateNotification.objects.filter(gate_request=gate_request).count() == 6
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM runs WHERE run_id = %s", [gate_request.run_id])
    assert not GateNotification.objects.exists()


def test_the_backoff_doubles_from_30_seconds_up_to_an_hour():
    assert [notify_backoff(n).total_seconds() for n in (1, 2, 3, 7, 8, 20)] == [30, 60, 120, 1920, 3600, 3600]
