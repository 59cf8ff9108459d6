"""Every admin changelist renders with rows in it: each table holds at least one row, built
through the services where one writes it, so every column of every list is drawn."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_q.brokers import get_broker
from django_q.models import Task
from django_q.signing import SignedPackage

from artifacts.services import artifact_create
from knowledge.services import kb_document_upsert
from runs.models import CallbackEndpoint, GatePolicy, Run, RunStatus
from runs.services import checkpoint_save, gate_decide, gate_open
from socials.services import project_social_link, publication_request, social_create
from webhooks.models import WebhookDLQ, WebhookEvent
from webhooks.services import webhook_receive

ALL_MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)


def _finished_task(success: bool) -> None:
    # django-q2's own result rows (the Success and Failure lists): written by its cluster.
    now = timezone.now()
    Task.objects.create(
        id=f"{'ok' if success else 'ko'}{now.timestamp():.0f}",
        name=f"task-{success}",
        func="math.floor",
        args=(1.5,),
        started=now - timedelta(seconds=1),
        stopped=now,
        success=success,
        result=1 if success else "boom",
    )


@pytest.fixture
def every_table_has_rows(
    db: None,
    make_run: Callable[..., Run],
    api_key: Any,  # the API keys list
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    settings.GATE_DISABLED = ["prepublish"]
    settings.SOCIALS_FAKE_PUBLISHER = True
    settings.DEBUG = True  # the fake publisher: no credentials, no HTTP
    settings.SOCIALS_VIDEO_ALLOWED_HOSTS = ["cdn.example.com"]
    running = make_run()
    artifact, _ = artifact_create(run_id=running.run_id, type="idea", metadata={"text": "an idea"})
    gate_open(run_id=running.run_id, gate="ideate", actor="api:orchestrator", artifact_ids=[str(artifact.id)])
    decided = make_run()
    gate_open(run_id=decided.run_id, gate="ideate", actor="api:orchestrator")
    gate_decide(run_id=decided.run_id, gate="ideate", decision="approve", actor="admin:someone")
    checkpoint_save(run_id=running.run_id, state={"step": 1}, actor="api:orchestrator", expected_version=None)
    GatePolicy.objects.create(
        project="aismr", gate="ideate", deadline_hours=24, required_approvals=1
    )  # operators' own rows
    CallbackEndpoint.objects.create(url="https://orchestrator.example.com/hook", disabled_at=timezone.now())

    publishing = make_run(status=RunStatus.RUNNING)
    artifact_create(run_id=publishing.run_id, type="render.url", url="https://cdn.example.com/final.mp4")
    social = social_create(provider="tiktok", account_id="mylo", actor="test")
    project_social_link(project="aismr", social_id=social.pk, is_primary=True, actor="test")
    publication_request(run_id=publishing.run_id, actor="test")  # queued (its job waits for the commit)

    with django_capture_on_commit_callbacks(execute=True):  # embeds the document (sync workers)
        kb_document_upsert(path="notes/a.md", content="ASMR soap cutting, slow and quiet.", actor="test")

    # A failed login (django-axes: the attempt, the failure log) and an authenticator.
    Client().post("/admin/login/", {"username": "nobody", "password": "guess"}, REMOTE_ADDR="203.0.113.1")
    TOTPDevice.objects.create(user=User.objects.create_user("enrolled", is_staff=True), name="phone")
    webhook_receive(provider="kieai", body=b'{"code": 200}', headers={}, query={})
    event = WebhookEvent.objects.get()
    # A DLQ entry is written by failed processing; here straight from the stored event.
    WebhookDLQ.objects.create(
        event=event,
        provider=event.provider,
        idempotency_key=event.idempotency_key,
        headers=event.headers,
        payload=event.payload,
        error="boom",
        retry_count=1,
        next_retry_at=timezone.now() + timedelta(minutes=5),
    )
    call_command("setup_schedules", verbosity=0)
    _finished_task(success=True)
    _finished_task(success=False)
    get_broker().enqueue(
        SignedPackage.dumps(
            {"id": "queued1", "name": "queued", "func": "math.floor", "args": (1.5,), "kwargs": {}}
        )
    )


def test_every_changelist_renders_its_rows(superuser_client: Client, every_table_has_rows: None) -> None:
    # One test over every list: filling every table is most of its time, once is enough.
    failures = [failure for model in ALL_MODELS if (failure := _changelist_failure(superuser_client, model))]
    assert failures == []


def _changelist_failure(client: Client, model: Any) -> str | None:
    """What is wrong with ``model``'s changelist page, or None."""
    label = model._meta.label
    response = client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
    if response.status_code != 200:
        return f"{label}: status {response.status_code}"
    rows = list(response.context["cl"].result_list)
    page = response.content.decode()
    if not rows:
        return f"{label}: the changelist shows no row"
    if 'id="result_list"' not in page or page.count("<tr") <= len(rows):
        return f"{label}: no header row and one row per result"  # header + one <tr> per result
    return None
