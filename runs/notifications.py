"""What a gate notification says and how it leaves: an e-mail through Django's e-mail framework,
or a Slack-compatible chat webhook (``text`` plus blocks) POSTed with httpx.

No database writes here: ``runs.services`` plans, claims and records the messages; this module
renders one and sends it, raising :class:`DeliveryFailed` with a redacted reason.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils.timesince import timesince, timeuntil

from myloware.admin_utils import when
from myloware.lib.redact import redact_text, register_secrets, url_secrets
from runs import selectors
from runs.models import GateRequest, GateStatus, NotificationChannel, NotificationKind

SUBJECT_PREFIX = "[MyloWare] "
SUMMARY_CHARS = 500  # of the gate's summary in a message (Slack's section text allows 3,000)
ERROR_CHARS = 500


class DeliveryFailed(Exception):
    """A channel refused or could not take the message; ``str()`` is redacted."""


@dataclass(frozen=True)
class GateMessage:
    subject: str  # one line
    lines: list[str]  # the body, plain text
    link: str  # the decision page (login required; nothing is decided by following it)


def decision_page_url(gate_request: GateRequest) -> str:
    return settings.CONSOLE_BASE_URL + reverse("admin:runs_pendingapproval_change", args=[gate_request.pk])


def gate_message(gate_request: GateRequest, *, kind: str, now: datetime) -> GateMessage:
    """The message of ``kind`` about the gate as it is at ``now``."""
    run = gate_request.run
    where = f"{run.project}: the {gate_request.gate} gate of {run.run_id}"
    deadline_in = timeuntil(gate_request.deadline_at, now)
    subjects = {
        NotificationKind.OPENED: f"{where} waits for a decision (deadline in {deadline_in})",
        NotificationKind.REMINDER: f"Reminder: {where} still waits (deadline in {deadline_in})",
        NotificationKind.ESCALATION: f"Escalation: {where} is undecided (deadline in {deadline_in})",
        NotificationKind.CLOSED: f"{where} {_outcome(gate_request)}",
    }
    lines = [
        f"Project {run.project} · run {run.run_id} ({run.status}) · {gate_request.gate} gate ({gate_request.status})",
        f"Under review: {selectors.gate_under_review(gate_request=gate_request)}",
    ]
    if gate_request.summary:
        lines.append(f"Summary: {gate_request.summary[:SUMMARY_CHARS]}")
    lines.append(
        f"Opened by {gate_request.opened_by} at {when(gate_request.opened_at)} "
        f"({timesince(gate_request.opened_at, now)} ago)"
    )
    lines.append(f"Deadline: {when(gate_request.deadline_at)}")
    if gate_request.is_open:
        approvals = len(selectors.gate_approvers(gate_request=gate_request))
        lines.append(f"Approvals: {approvals} of {gate_request.required_approvals}")
    assignees = selectors.gate_assignees(gate_request=gate_request)
    if assignees:
        lines.append(f"May decide: {', '.join(assignees)}")
    if not gate_request.is_open and gate_request.decision_comment:
        lines.append(f"Comment: {gate_request.decision_comment[:SUMMARY_CHARS]}")
    return GateMessage(
        subject=SUBJECT_PREFIX + " ".join(subjects[NotificationKind(kind)].split()),
        lines=lines,
        link=decision_page_url(gate_request),
    )


def _outcome(gate_request: GateRequest) -> str:
    decided = f"at {when(gate_request.decided_at)}"
    return {
        GateStatus.APPROVED: f"was approved by {gate_request.decided_by} {decided}",
        GateStatus.REJECTED: f"was rejected by {gate_request.decided_by} {decided}",
        GateStatus.EXPIRED: f"expired undecided {decided}: the run failed",
        GateStatus.CANCELLED: f"was cancelled {decided}: the run ended",
    }.get(GateStatus(gate_request.status), f"is {gate_request.status}")


def deliver(channel: str, target: str, message: GateMessage) -> None:
    """Send ``message`` to one target; raises DeliveryFailed."""
    if channel == NotificationChannel.EMAIL:
        send_email(target, message)
    else:
        post_chat(target, message)


def send_email(address: str, message: GateMessage) -> None:
    body = "\n".join([*message.lines, "", f"Decision page (login required): {message.link}", ""])
    connection = get_connection(fail_silently=False, timeout=settings.GATE_NOTIFY_TIMEOUT)
    email = EmailMessage(message.subject, body, to=[address], connection=connection)
    try:
        email.send()
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(_reason(exc)) from None


def chat_body(message: GateMessage) -> dict[str, Any]:
    """A Slack incoming-webhook body: ``text`` (the notification and fallback) and blocks."""
    return {
        "text": f"{message.subject} {message.link}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": message.subject[:150]}},
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "\n".join(_mrkdwn(line) for line in message.lines)[:3000]},
            },
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open the decision page"},
                        "url": message.link,
                    }
                ],
            },
        ],
    }


def post_chat(url: str, message: GateMessage) -> None:
    # httpx logs the URL of every request: its secret parts are masked from now on.
    register_secrets(url_secrets(url))
    try:
        response = httpx.post(url, json=chat_body(message), timeout=settings.GATE_NOTIFY_TIMEOUT)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(_reason(exc)) from None
    if not response.is_success:
        raise DeliveryFailed(redact_text(f"HTTP {response.status_code}: {response.text}")[:ERROR_CHARS])


def _mrkdwn(text: str) -> str:
    """Slack's three control characters, escaped as its docs say (the rest is shown as text)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _reason(exc: Exception) -> str:
    return redact_text(f"{type(exc).__name__}: {exc}")[:ERROR_CHARS]
