"""``GET /metrics``: Prometheus' text format, for the whole deployment (docs/monitoring.md).

Three sources, one answer:

* django-prometheus' HTTP and database series and our event counters (``myloware.lib.metrics``),
  summed over every process that wrote them: gunicorn's workers, the webhook loops and the
  django-q2 cluster each keep theirs in ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's
  multiprocess mode); without that directory, this process' own values (tests, ``runserver``).
* the state of the work, read from the database at scrape time by the selectors ``/healthz``
  and the console use (one rule each): whichever process is asked, the answer is the same, and
  nothing is kept in memory that could disagree with the tables.

Access: with ``METRICS_TOKEN`` set, ``Authorization: Bearer <token>`` (compared in constant
time; 401 otherwise); without one, only with DEBUG on (404 otherwise).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_GET
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from knowledge.selectors import documents_waiting_for_vectors
from myloware.lib.errors import error_body
from myloware.workers.selectors import schedule_lags, task_queue
from runs.selectors import open_gates, runs_per_project_and_status
from webhooks.selectors import dlq_depth, webhook_backlog

DLQ_STATES = ("due", "waiting", "dead")


def _gauge(name: str, documentation: str, labels: list[str] | None = None) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=labels)


class WorkState(Collector):
    """The gauges read from the database at scrape time (each from its selector)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def collect(self) -> Iterator[Metric]:
        up = _gauge("myloware_database_up", "1 when the scrape could read the database, else 0.")
        try:
            metrics = [*self._runs(), *self._gates(), *self._webhooks(), *self._cluster(), self._knowledge()]
        except DatabaseError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from metrics

    def _runs(self) -> Iterator[Metric]:
        runs = _gauge("myloware_runs", "Runs, by project and status.", ["project", "status"])
        for project, status, count in runs_per_project_and_status():
            runs.add_metric([project, status], count)
        yield runs

    def _gates(self) -> Iterator[Metric]:
        count = _gauge("myloware_gates_open", "Open gates, by gate.", ["gate"])
        oldest = _gauge(
            "myloware_gate_oldest_open_seconds", "Age of the oldest open gate, by gate.", ["gate"]
        )
        used = _gauge(
            "myloware_gate_deadline_used_ratio",
            "Largest share of its time to the deadline an open gate has used, by gate (1: due).",
            ["gate"],
        )
        for gates in open_gates(now=self.now):
            count.add_metric([gates.gate], gates.count)
            oldest.add_metric([gates.gate], max(0.0, (self.now - gates.oldest_opened_at).total_seconds()))
            used.add_metric([gates.gate], gates.deadline_used)
        yield from (count, oldest, used)

    def _webhooks(self) -> Iterator[Metric]:
        backlog = webhook_backlog()
        yield GaugeMetricFamily(
            "myloware_webhook_backlog_events", "Valid callbacks waiting for the webhook loop.", backlog.events
        )
        waited = backlog.oldest_received_at
        yield GaugeMetricFamily(
            "myloware_webhook_backlog_oldest_seconds",
            "How long the oldest valid callback has waited for the webhook loop (0: none waits).",
            0.0 if waited is None else max(0.0, (self.now - waited).total_seconds()),
        )
        dlq = _gauge(
            "myloware_dlq_entries", "Dead-letter entries, by provider and state (due, waiting, dead).",
            ["provider", "state"],
        )  # fmt: skip
        for row in dlq_depth(now=self.now)["providers"]:
            for state in DLQ_STATES:
                dlq.add_metric([row["provider"], state], row[state])
        yield dlq

    def _cluster(self) -> Iterator[Metric]:
        lags = _gauge(
            "myloware_schedule_lag_seconds", "How late each schedule's work is (0: on time).", ["schedule"]
        )
        for name, lag in schedule_lags(now=self.now).items():
            lags.add_metric([name], lag)
        yield lags
        queue = task_queue(now=self.now)
        yield GaugeMetricFamily(
            "myloware_task_queue_tasks", "django-q2 tasks waiting for a worker.", queue.queued
        )
        yield GaugeMetricFamily(
            "myloware_task_queue_stalled_seconds",
            "How long tasks have waited while no task finished (0: nothing waits).",
            queue.stalled_seconds(self.now),
        )

    def _knowledge(self) -> Metric:
        return GaugeMetricFamily(
            "myloware_knowledge_documents_waiting_for_vectors",
            "Knowledge documents without a current vector of the active embedding model.",
            documents_waiting_for_vectors(),
        )


def _process_metrics() -> bytes:
    """django-prometheus' and our counters: every process' (multiprocess mode) or this one's."""
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return generate_latest(registry)


def _refusal(request: HttpRequest) -> HttpResponse | None:
    token = settings.METRICS_TOKEN
    if not token:
        if not settings.DEBUG:
            raise Http404("/metrics needs METRICS_TOKEN when DEBUG is off")
        return None
    if constant_time_compare(request.headers.get("Authorization", ""), f"Bearer {token}"):
        return None
    response = JsonResponse(error_body(401, "not_authenticated", "A bearer token is needed"), status=401)
    response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    state = CollectorRegistry()
    state.register(WorkState(timezone.now()))
    return HttpResponse(_process_metrics() + generate_latest(state), content_type=CONTENT_TYPE_LATEST)
