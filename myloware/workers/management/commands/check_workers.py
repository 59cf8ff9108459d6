"""Liveness of one cluster: exit 0 while tasks flow through it, 1 otherwise (a probe's command)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone

from myloware.lib.commands import MylowareCommand
from myloware.workers.selectors import cluster_health


class Command(MylowareCommand):
    help = "Exit 1 when no task went through the named cluster within WORKER_STALE_AFTER seconds"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--name", default=settings.WORKER_NAME, help="cluster name (default: MYLOWARE_WORKER_NAME)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        health = cluster_health(cluster=options["name"], now=now)
        if not health.workers:
            raise CommandError(f"cluster {health.cluster!r} has no running workers")
        age = health.flow_age(now)
        if not health.flowing:
            raise CommandError(
                f"cluster {health.cluster!r}: no task went through its {health.workers} workers for "
                f"{age} s (limit WORKER_STALE_AFTER={settings.WORKER_STALE_AFTER} s)"
            )
        self.stdout.write(f"cluster {health.cluster!r}: {health.workers} workers, last task {age} s ago")
