"""Run a watched django-q2 cluster (use instead of ``manage.py qcluster``; docs/operations.md)."""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings

from myloware.lib.commands import MylowareCommand
from myloware.workers.runner import WorkerRunner


class Command(MylowareCommand):
    help = "Run the django-q2 workers with heartbeats, a bounded stop and the repair jobs"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--name", default=settings.WORKER_NAME, help="cluster name (default: MYLOWARE_WORKER_NAME)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        code = WorkerRunner(options["name"]).run()
        if code:
            sys.exit(code)
