"""LOG_FORMAT=json and request ids: gunicorn and Django write one JSON object per line, every
line of a request names its id, and a task runs under the id of the request that queued it."""

from __future__ import annotations

import json
import multiprocessing
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.test import Client
from django_guid import clear_guid, get_guid, set_guid
from django_q.brokers import get_broker
from django_q.signing import SignedPackage
from django_q.tasks import async_task
from django_q.worker import worker

from tests.servers import gunicorn
from tests.webhooks.conftest import KIEAI_SECRET, kieai_delivery

SEEN: list[str | None] = []


def remember_request_id() -> None:
    """A task: what request id it runs under."""
    SEEN.append(get_guid())


@pytest.mark.django_db
def test_a_request_id_is_kept_when_valid_else_generated_and_always_echoed(client: Client) -> None:
    given = str(uuid.uuid4())
    assert client.get("/healthz", HTTP_X_REQUEST_ID=given)["X-Request-ID"] == given
    nginx_style = uuid.uuid4().hex  # nginx's $request_id: 32 hex digits
    assert client.get("/healthz", HTTP_X_REQUEST_ID=nginx_style)["X-Request-ID"] == nginx_style
    for bad in ("", "not-a-uuid", "x" * 5000, f"{given}\nforged: line"):
        answered = client.get("/api/v1/nothing", HTTP_X_REQUEST_ID=bad)["X-Request-ID"]
        assert answered != bad and uuid.UUID(answered).hex == answered


@pytest.mark.django_db
def test_a_task_runs_under_the_id_of_the_request_that_queued_it() -> None:
    """Queued through django-q2's broker, run by django-q2's own worker loop, in a fresh context."""
    SEEN.clear()
    set_guid("5f0c6a3e2b8d4c1f9e7a6b5c4d3e2f10")  # as django-guid does for a request
    async_task("tests.monitoring.test_logs.remember_request_id", sync=False)
    clear_guid()  # a scheduled task, queued outside any request
    async_task("tests.monitoring.test_logs.remember_request_id", sync=False)
    broker = get_broker()
    tasks: Any = multiprocessing.Queue()
    for _ in range(2):
        [(ack, package)] = broker.dequeue()
        tasks.put(SignedPackage.loads(package))
        broker.acknowledge(ack)
    tasks.put("STOP")
    set_guid("ffffffffffffffffffffffffffffffff")  # whatever the worker ran before
    worker(tasks, multiprocessing.Queue(), multiprocessing.Value("f", -1), timeout=None)
    assert SEEN == ["5f0c6a3e2b8d4c1f9e7a6b5c4d3e2f10", None]


@pytest.mark.http
def test_gunicorn_and_django_write_json_lines_with_the_request_id(
    transactional_db: None, tmp_path: Path
) -> None:
    env = {"LOG_FORMAT": "json", "WEBHOOK_SECRET_KIEAI": KIEAI_SECRET}
    request_id = str(uuid.uuid4())
    with gunicorn(tmp_path, env=env, workers=1) as base:
        forged = kieai_delivery("run_logs")
        forged_headers = {**forged.headers, "X-Webhook-Signature": "AAAA", "X-Request-ID": request_id}
        answer = httpx.post(
            f"{base}/api/v1/webhooks/kieai?{forged.query}", content=forged.body,
            headers={"Content-Type": "application/json", **forged_headers},
        )  # fmt: skip
        assert answer.status_code == 401 and answer.headers["X-Request-ID"] == request_id
        generated = httpx.get(f"{base}/healthz").headers["X-Request-ID"]
    [log] = tmp_path.glob("gunicorn-*.log")
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]  # every line
    assert lines and all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    assert {"gunicorn.error", "gunicorn.access", "webhooks.services", "django.request"} <= {
        line["logger"] for line in lines
    }
    of_request = [line for line in lines if line.get("request_id") == request_id]
    assert {line["logger"] for line in of_request} == {
        "webhooks.services",
        "django.request",
        "gunicorn.access",
    }
    [access] = [line for line in of_request if line["logger"] == "gunicorn.access"]
    assert access["status"] == "401" and access["duration_seconds"] >= 0
    assert "POST /api/v1/webhooks/kieai?run_id=run_logs" in access["message"]
    [health] = [line for line in lines if line.get("request_id") == generated]
    assert health["logger"] == "gunicorn.access" and health["status"] == "200"
    assert not [
        line for line in lines if line["logger"].startswith("gunicorn.error") and "request_id" in line
    ]


def test_an_unknown_log_format_stops_start_up_with_one_line() -> None:
    from tests.foundation.test_configuration import _manage

    result = _manage("check", LOG_FORMAT="xml")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.stderr.strip() == "configuration error: LOG_FORMAT must be 'text' or 'json'"
