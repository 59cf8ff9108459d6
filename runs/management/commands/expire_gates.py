"""Expire open gates past their deadline now (the schedule does it every minute)."""

from __future__ import annotations

from typing import Any

from myloware.lib.commands import MylowareCommand
from myloware.lib.text import counted
from runs.services import gate_expire_due


class Command(MylowareCommand):
    help = "Expire open HITL gates past their deadline (their runs fail with approval_expired)"

    def handle(self, *args: Any, **options: Any) -> None:
        expired = gate_expire_due()
        self.stdout.write(f"expired {counted(expired, 'gate')}")
