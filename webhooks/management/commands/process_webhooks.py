"""``manage.py process_webhooks``: the webhook loop. Run one or more copies beside the web tier."""

from __future__ import annotations

import logging
import signal
from typing import Any

from django.core.management.base import CommandError

from myloware.lib.commands import MylowareCommand
from webhooks.services import DatabaseUnreachable, LoopControl, webhook_events_process_forever

logger = logging.getLogger(__name__)


class Command(MylowareCommand):
    help = (
        "Process received webhook events in batches until SIGTERM/SIGINT (then after the current "
        "batch); exits 1 when the database stays unreachable for WEBHOOK_LOOP_DB_TIMEOUT seconds"
    )
    # Restarted by its supervisor after a crash or a database outage: start at once. `manage.py
    # check` and the web tier run the system checks.
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        control = LoopControl()

        def request_stop(signum: int, frame: object) -> None:
            control.stop = True

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        logger.info("webhook loop started")
        try:
            processed = webhook_events_process_forever(control=control)
        except DatabaseUnreachable as exc:
            raise CommandError(f"webhook loop stopped: {exc}") from None
        logger.info("webhook loop stopped after processing %d events", processed)
