"""Helpers for the runs tests: runs and gates built through the services."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from artifacts.services import artifact_create
from runs.models import GateRequest, Run
from runs.services import gate_open
from tests.receivers import ChatReceiver, SmtpServer, chat_receiver, smtp_server


@pytest.fixture
def gate_with_idea(make_run: Callable[..., Run]) -> Callable[..., GateRequest]:
    """A running run with an idea artifact and its ideate gate open."""

    def _make(**run_kwargs: Any) -> GateRequest:
        run = make_run(**run_kwargs)
        idea, _ = artifact_create(
            run_id=run.run_id, type="idea", persona="iggy", metadata={"text": "ASMR soap"}
        )
        gate_request, _ = gate_open(
            run_id=run.run_id, gate="ideate", actor="api:orchestrator", artifact_ids=[str(idea.id)]
        )
        return gate_request

    return _make


@pytest.fixture
def make_operator(db: None) -> Callable[[str], User]:
    def _make(username: str) -> User:
        user = User.objects.create_user(username, password="operator-pass-123", is_staff=True)
        user.groups.add(Group.objects.get(name="operators"))
        return user

    return _make


# --- gate notifications: a real SMTP server and a real chat webhook receiver -----------------

# A Slack-style incoming webhook: the path is the secret.
CHAT_SECRET = "xoxbGateChatSecret0123456789"
CHAT_PATH = f"/services/T0MYLOWARE/B0GATES/{CHAT_SECRET}"
CONSOLE = "https://console.example.com"


@dataclass
class Notify:
    smtp: SmtpServer
    chat: ChatReceiver

    @property
    def chat_url(self) -> str:
        return self.chat.url(CHAT_PATH)


@pytest.fixture
def notify(settings: Any) -> Iterator[Notify]:
    """Gate notifications configured by the environment's defaults, to local real servers."""
    with smtp_server() as smtp, chat_receiver() as chat:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = smtp.host, smtp.port
        settings.GATE_NOTIFY_EMAILS = ["approvers@example.com"]
        settings.GATE_ESCALATE_EMAILS = ["lead@example.com"]
        settings.GATE_NOTIFY_WEBHOOK_URLS = [chat.url(CHAT_PATH)]
        settings.GATE_NOTIFY_TIMEOUT = 5
        settings.CONSOLE_BASE_URL = CONSOLE
        yield Notify(smtp, chat)
