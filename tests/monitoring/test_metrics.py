"""GET /metrics in one process: who may scrape, what each series counts, and that the counters
move only when the work they count commits (the multiprocess side: test_scrape_end_to_end.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django_q.models import Task
from prometheus_client.parser import text_string_to_metric_families

from artifacts.services import artifact_create
from myloware.lifecycle.services import retention_run
from runs.models import GateRequest, RunStatus
from runs.services import gate_decide, gate_open, run_transition
from tests.factories import make_run
from tests.monitoring.exposition import Samples, changes, samples, value
from tests.webhooks.conftest import TEST_PROVIDERS, kieai_delivery
from webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db
TOKEN = "metrics-token-for-tests-0123456789"


def scrape(client: Client) -> Samples:
    """Every sample of a scrape of this process's /metrics."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/plain; version=")
    return samples(response.content.decode())


@pytest.fixture(autouse=True)
def token(settings: Any) -> None:
    settings.METRICS_TOKEN = TOKEN
    settings.WEBHOOK_PROVIDERS = dict(TEST_PROVIDERS)


@pytest.fixture
def gate_with_idea() -> Any:
    def _make(**run: Any) -> GateRequest:
        run_id = make_run(RunStatus.RUNNING, **run).run_id
        idea, _ = artifact_create(run_id=run_id, type="idea", persona="iggy", metadata={"text": "soap"})
        gate, _ = gate_open(
            run_id=run_id, gate="ideate", actor="api:orchestrator", artifact_ids=[str(idea.id)]
        )
        return gate

    return _make


def test_a_token_is_needed_when_one_is_set(client: Client) -> None:
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}x")
    assert wrong.status_code == 401 and wrong["WWW-Authenticate"].startswith("Bearer")
    assert wrong.json()["error"]["code"] == "not_authenticated"
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    assert client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405


def test_without_a_token_it_is_off_unless_debug(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = ""
    settings.DEBUG = False
    assert client.get("/metrics").status_code == 404
    settings.DEBUG = True
    assert client.get("/metrics").status_code == 200


def test_run_transitions_count_once_committed(
    django_capture_on_commit_callbacks: Any, client: Client
) -> None:
    before = scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        run = make_run(RunStatus.RUNNING)  # created pending, then running
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        run_transition(run_id=run.run_id, to=RunStatus.FAILED, actor="t")
        transaction.set_rollback(True)  # never happened: not counted
    after = scrape(client)
    moved = changes(before, after)
    for to, expected in (("pending", 1), ("running", 1), ("failed", 0)):
        assert moved("myloware_run_transitions_total", to=to) == expected, to
    assert value(after, "myloware_runs", project="aismr", status="running") >= 1


def test_gauges_read_the_database_at_scrape_time(gate_with_idea: Any, client: Client) -> None:
    gate = gate_with_idea(project="metricsproj")
    GateRequest.objects.filter(pk=gate.pk).update(
        opened_at=timezone.now() - timedelta(hours=9), deadline_at=timezone.now() + timedelta(hours=1)
    )
    kieai_delivery("run_nobody_created").send(client)
    samples = scrape(client)
    assert value(samples, "myloware_runs", project="metricsproj", status="awaiting_approval") == 1
    assert value(samples, "myloware_gates_open", gate="ideate") == 1
    assert 9 * 3600 <= value(samples, "myloware_gate_oldest_open_seconds", gate="ideate") < 9 * 3600 + 60
    assert value(samples, "myloware_gate_deadline_used_ratio", gate="ideate") == pytest.approx(0.9, abs=0.01)
    # the callback names no run: its processing (inline under the test settings) failed
    assert value(samples, "myloware_dlq_entries", provider="kieai", state="waiting") == 1
    assert value(samples, "myloware_dlq_entries", provider="kieai", state="dead") == 0
    assert value(samples, "myloware_webhook_backlog_events") == 0
    assert value(samples, "myloware_webhook_backlog_oldest_seconds") == 0
    assert value(samples, "myloware_database_up") == 1
    assert ("myloware_knowledge_documents_waiting_for_vectors", ()) in samples
    assert ("myloware_task_queue_tasks", ()) in samples


def test_gate_decisions_deliveries_and_processing_are_counted(
    gate_with_idea: Any, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    gate = gate_with_idea()
    before = scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        gate_decide(run_id=gate.run_id, gate="ideate", decision="approve", actor="admin:ann")
    running = make_run(RunStatus.RUNNING).run_id
    with django_capture_on_commit_callbacks(execute=True):  # sent, then processed as the loop does
        assert kieai_delivery(running).send(client).status_code == 200
        forged = kieai_delivery(running)
        forged = replace(forged, headers={**forged.headers, "X-Webhook-Signature": "AAAA"})
        assert forged.send(client).status_code == 401
    after = scrape(client)
    moved = changes(before, after)

    assert moved("myloware_gate_decisions_total", gate="ideate", decision="approved") == 1
    assert moved("myloware_webhook_deliveries_total", provider="kieai", signature_status="valid") == 1
    assert moved("myloware_webhook_deliveries_total", provider="kieai", signature_status="invalid") == 1
    assert moved("myloware_webhook_processing_seconds_count", provider="kieai") == 1
    assert WebhookEvent.objects.filter(status="processed").count() == 1


def test_no_label_carries_an_id_or_a_path(gate_with_idea: Any, client: Client) -> None:
    gate = gate_with_idea()
    kieai_delivery(gate.run_id).send(client)
    client.get(f"/api/v1/runs/{gate.run_id}")
    client.get("/no/such/page/12345")
    text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    samples = [sample for family in text_string_to_metric_families(text) for sample in family.samples]
    # Label values only: a sample's value (a timestamp) may contain any digits.
    values = [value for sample in samples for value in sample.labels.values()]
    assert not [value for value in values if gate.run_id in value or "12345" in value]
    labels = {name for sample in samples for name in sample.labels}
    bounded = {
        # ours
        "project", "status", "to", "gate", "decision", "provider", "signature_status", "state", "schedule",
        "table", "action",
        # django-prometheus (views by URL name, templates by name) and prometheus_client's own
        "le", "method", "view", "transport", "templatename", "charset", "content_type", "alias", "vendor",
        "type", "generation", "implementation", "major", "minor", "patchlevel", "version",
    }  # fmt: skip
    assert labels <= bounded, labels - bounded


def test_console_login_failures_and_lockouts_are_counted_where_axes_records_them(
    client: Client, settings: Any
) -> None:
    before = scrape(client)
    form = {"username": "mallory", "password": "guess", "otp_token": ""}
    answers = [
        client.post("/admin/login/", form, REMOTE_ADDR="198.51.100.7").status_code
        for _ in range(settings.LOGIN_FAILURE_LIMIT + 1)  # the last one is refused, not recorded
    ]
    assert answers == [200] * (settings.LOGIN_FAILURE_LIMIT - 1) + [429, 429]
    after = scrape(client)
    moved = changes(before, after)
    failures = moved("myloware_admin_login_failures_total")
    lockouts = moved("myloware_admin_login_lockouts_total")
    assert (failures, lockouts) == (settings.LOGIN_FAILURE_LIMIT, 1)


def test_a_malformed_content_length_is_answered_and_counted_not_a_500(client: Client) -> None:
    before = scrape(client)
    for path in ("/healthz", "/api/v1/me"):
        answer = client.generic("GET", path, CONTENT_LENGTH="abc")
        assert answer.status_code in (200, 401), answer.content[:300]
    after = scrape(client)
    moved = changes(before, after)
    answered = sum(
        moved("django_http_responses_total_by_status_total", status=status) for status in ("200", "401")
    )
    assert answered >= 2  # the scrape itself answers 200 too


def test_with_the_database_unreachable_a_scrape_still_answers_and_says_so(
    unreachable_database: None, settings: Any
) -> None:
    """The process' counters stay readable; the gauges that need the database are left out."""
    settings.METRICS_TOKEN = TOKEN
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    text = response.content.decode()
    assert "myloware_database_up 0.0" in text
    assert "# TYPE myloware_webhook_deliveries_total counter" in text  # the counters, from memory
    assert "myloware_runs{" not in text and "myloware_webhook_backlog_events" not in text


def test_retention_counts_what_it_removes_by_table_and_action(client: Client) -> None:
    long_ago = timezone.now() - timedelta(days=30)
    for n in range(3):
        Task.objects.create(
            id=f"t{n}", name=f"t{n}", func="f", started=long_ago, stopped=long_ago, success=True
        )
    before = scrape(client)

    retention_run(now=timezone.now(), apply=False)  # a dry run removes and counts nothing
    assert value(
        scrape(client), "myloware_retention_removed_total", table="django_q_task", action="delete"
    ) == (value(before, "myloware_retention_removed_total", table="django_q_task", action="delete"))
    retention_run(now=timezone.now(), apply=True)

    after = scrape(client)
    delta = value(after, "myloware_retention_removed_total", table="django_q_task", action="delete") - value(
        before, "myloware_retention_removed_total", table="django_q_task", action="delete"
    )
    assert delta == 3 and not Task.objects.exists()
