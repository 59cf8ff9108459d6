"""The product's own event metrics (``myloware_…``), counted where the thing happens.

Counters and histograms of prometheus_client, each incremented by the one service that does
the thing, once its transaction has committed (:func:`count_on_commit`: a rolled-back
transition or delivery is not counted). Under gunicorn, the webhook loop and the django-q2
cluster every process counts on its own; with ``PROMETHEUS_MULTIPROC_DIR`` set (``make run``
sets it; docs/monitoring.md for systemd and Kubernetes) each writes its values to a file there
and ``/metrics`` sums them (prometheus_client's multiprocess mode). What the database already
knows (runs per status, open gates, the backlog…) is read at scrape time instead
(``myloware/metrics.py``).

Every label has a bounded set of values: statuses, gate names, configured providers and
platforms, table names — never ids or paths.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from prometheus_client import Counter, Histogram

RUN_TRANSITIONS = Counter(
    "myloware_run_transitions", "Run status changes, by the status reached (creations included).", ["to"]
)
GATE_DECISIONS = Counter(
    "myloware_gate_decisions",
    "Gates closed, by gate and how (approved, rejected, expired, cancelled by the run's end).",
    ["gate", "decision"],
)
WEBHOOK_DELIVERIES = Counter(
    "myloware_webhook_deliveries",
    "Provider callbacks the intake answered, by provider (or 'unknown') and signature status.",
    ["provider", "signature_status"],
)
WEBHOOK_PROCESSING = Histogram(
    "myloware_webhook_processing_seconds",
    "From a valid callback's receipt to its processing by the webhook loop (or a replay).",
    ["provider"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180, 600, 1800, 3600),
)
PUBLICATIONS = Counter(
    "myloware_publications", "Publications finished, by platform and outcome.", ["provider", "status"]
)
ADMIN_LOGIN_FAILURES = Counter(
    "myloware_admin_login_failures", "Failed console logins recorded by the login guard (django-axes)."
)
ADMIN_LOGIN_LOCKOUTS = Counter(
    "myloware_admin_login_lockouts", "Console logins locked out (a username or an address hit the limit)."
)
RETENTION_REMOVED = Counter(
    "myloware_retention_removed",
    "Rows the retention job removed (delete) or emptied of their body (expunge), by table.",
    ["table", "action"],
)


def count_on_commit(count: Callable[[], object]) -> None:
    """Count once the current transaction commits (at once outside one), like the work it counts."""
    transaction.on_commit(count)
