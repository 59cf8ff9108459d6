"""django-q2 entry points of the runs app. Tasks take primary keys and may run twice."""

from __future__ import annotations

from django_q.tasks import async_task

from runs import services


def gate_callback_deliver(gate_request_pk: int) -> str:
    """Deliver a gate's signed decision callback (the service claims it first)."""
    return services.gate_callback_deliver(gate_request_id=gate_request_pk)


def gate_callbacks_retry_due() -> int:
    """Schedule: enqueue every callback whose backoff has elapsed."""
    due = services.gate_callbacks_due()
    for pk in due:
        async_task("runs.tasks.gate_callback_deliver", pk)
    return len(due)


def gates_expire_due() -> int:
    """Schedule: expire open gates past their deadline (run → failed, approval_expired)."""
    return services.gate_expire_due()


def gate_notifications_send(gate_request_pk: int) -> int:
    """Send a gate's due notifications (queued on commit when the gate opens or closes)."""
    return services.gate_notifications_send_due(gate_request_id=gate_request_pk)


def gate_notifications_due() -> int:
    """Schedule: send every due gate notification (reminders, escalations, retries, lost tasks)."""
    return services.gate_notifications_send_due()


def run_status_counts_fold() -> int:
    """Schedule: fold the run counts' +1/-1 rows (the gauge myloware_runs reads them)."""
    return services.run_status_counts_fold()
