"""A running instance, as `make run` starts it (supervisord: gunicorn with two workers, two webhook
loops, the django-q2 cluster, the embedded PostgreSQL), takes deliveries, gates and failures over
HTTP; its /metrics — summed over every process that counted — moves by exactly those amounts,
passes `promtool check metrics`, and every process logs JSON lines (LOG_FORMAT=json)."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.monitoring.exposition import changes, samples, value
from tests.webhooks.conftest import KIEAI_SECRET, kieai_delivery
from tests.workers.harness import TOKEN, MakeRun, wait_for

pytestmark = pytest.mark.http
METRICS_TOKEN = "scrape-token-0123456789abcdef"


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MakeRun]:
    env = {"METRICS_TOKEN": METRICS_TOKEN, "LOG_FORMAT": "json", "WEBHOOK_SECRET_KIEAI": KIEAI_SECRET}
    make_run = MakeRun(tmp_path_factory.mktemp("scrape"), env=env)
    try:
        make_run.start()
        yield make_run
        assert make_run.stop() == 0
    finally:
        make_run.kill_leftovers()


def scrape_text(instance: MakeRun) -> str:
    response = httpx.get(f"{instance.base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200, response.text[:500]
    return response.text


def test_the_scraped_series_move_by_what_the_instance_did(instance: MakeRun, tmp_path: Path) -> None:
    assert httpx.get(f"{instance.base}/metrics").status_code == 401
    before = samples(scrape_text(instance))
    key = instance.manage("create_api_key", f"scrape-{uuid.uuid4().hex[:6]}", "--scope", "runs,gates:decide")
    api = httpx.Client(
        base_url=instance.base, headers={"X-API-Key": key.strip().splitlines()[-1]}, timeout=30
    )

    accepted = instance.post_webhooks(12)  # a token provider without a handler: each ends ignored
    with httpx.Client(base_url=instance.base, timeout=30) as client:
        for _ in range(3):  # forged
            assert client.post("/api/v1/webhooks/faults?token=wrong", json={"n": 1}).status_code == 401
        failing = kieai_delivery("run_nobody_created")  # valid, but its handler fails: dead-letter queue
        answer = client.post(f"/api/v1/webhooks/kieai?{failing.query}", content=failing.body,
                             headers={"Content-Type": "application/json", **failing.headers})  # fmt: skip
        assert answer.status_code == 200
    gated = api.post("/api/v1/runs", json={"project": "e2e", "status": "pending_workflow"}).json()["run_id"]
    assert api.post(f"/api/v1/runs/{gated}/gates", json={"gate": "workflow"}).status_code == 201
    decided = api.post(f"/api/v1/runs/{gated}/gates/workflow/decision", json={"decision": "approve"})
    assert decided.status_code == 201, decided.text
    failed = api.post("/api/v1/runs", json={"project": "e2e"}).json()["run_id"]
    assert api.post(f"/api/v1/runs/{failed}/transition", json={"to": "failed"}).status_code == 200
    assert len(accepted) == 12
    instance.assert_each_processed_exactly_once(accepted)
    wait_for(
        lambda: instance.sql("SELECT count(*) FROM webhook_dlq")[0][0] == 1, seconds=30, what="DLQ entry"
    )

    text = scrape_text(instance)
    after = samples(text)
    moved = changes(before, after)

    assert moved("myloware_webhook_deliveries_total", provider="faults", signature_status="valid") == 12
    assert moved("myloware_webhook_deliveries_total", provider="faults", signature_status="invalid") == 3
    assert moved("myloware_webhook_deliveries_total", provider="kieai", signature_status="valid") == 1
    # counted by the two webhook loops, each in its own process
    assert moved("myloware_webhook_processing_seconds_count", provider="faults") == 12
    assert moved("myloware_run_transitions_total", to="pending_workflow") == 1
    assert moved("myloware_run_transitions_total", to="pending") == 2  # the approval, the second run
    assert moved("myloware_run_transitions_total", to="failed") == 1
    assert moved("myloware_gate_decisions_total", gate="workflow", decision="approved") == 1
    assert value(after, "myloware_runs", project="e2e", status="pending") == 1
    assert value(after, "myloware_runs", project="e2e", status="failed") == 1
    assert value(after, "myloware_gates_open", gate="workflow") == 0
    dead_letters = sum(
        value(after, "myloware_dlq_entries", provider="kieai", state=s) for s in ("due", "waiting")
    )
    assert dead_letters == 1
    assert value(after, "myloware_webhook_backlog_events") == 0
    assert value(after, "myloware_database_up") == 1
    schedules = {
        dict(labels)["schedule"] for name, labels in after if name == "myloware_schedule_lag_seconds"
    }
    assert "webhooks.replay_due_webhooks" in schedules
    # django-prometheus, summed over gunicorn's workers: at least the forged deliveries' 401s
    assert moved("django_http_responses_total_by_status_total", status="401") >= 3
    assert value(after, "django_db_execute_total", alias="default", vendor="postgresql") > 0

    promtool = shutil.which("promtool")
    assert promtool, "promtool (Debian's prometheus package) is needed: .ci/run installs it"
    checked = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )  # noqa: S603
    assert checked.returncode == 0, checked.stdout + checked.stderr
    _assert_every_process_logs_json(instance.log)


def _assert_every_process_logs_json(log: Path) -> None:
    # The programs' log lines (make run's own announcements and command output stay plain text).
    lines: list[dict[str, Any]] = [
        json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")
    ]
    loggers = {line["logger"] for line in lines}
    # gunicorn (access and error), the webhook loops (the failed callback), the django-q2 cluster
    assert {"gunicorn.access", "gunicorn.error", "webhooks.services", "django-q"} <= loggers, loggers
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    assert TOKEN not in log.read_text()
