"""Deliver the due gate-decision callbacks to the orchestrator now, in this process."""

from __future__ import annotations

from typing import Any

from myloware.lib.commands import MylowareCommand
from myloware.lib.text import counted
from runs.services import gate_callback_deliver, gate_callbacks_due


class Command(MylowareCommand):
    help = "Send every gate-decision callback whose retry is due (normally done by the schedule)"

    def handle(self, *args: Any, **options: Any) -> None:
        due = gate_callbacks_due()
        for pk in due:
            status = gate_callback_deliver(gate_request_id=pk)
            self.stdout.write(f"gate request {pk}: {status}")
        self.stdout.write(f"{counted(len(due), 'callback')} due")
