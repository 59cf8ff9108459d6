"""Liveness of the django-q2 cluster, from its own tables: exit 1 naming what stopped (a probe)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone

from myloware.lib.commands import MylowareCommand
from myloware.workers.selectors import cluster_facts


class Command(MylowareCommand):
    help = (
        "Exit 1 when a schedule is more than HEALTH_MAX_LAG seconds late or queued tasks waited that "
        "long while none finished (a stalled cluster: restart it)"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        limit = settings.HEALTH_MAX_LAG
        facts = cluster_facts(now=timezone.now())
        late = facts.late_schedules(limit)
        if late:
            named = ", ".join(f"{name} ({lag:.0f} s)" for name, lag in sorted(late.items()))
            raise CommandError(f"schedules late by more than HEALTH_MAX_LAG={limit} s: {named}")
        if facts.stalled(limit):
            stalled = facts.queue.stalled_seconds(facts.now)
            raise CommandError(
                f"{facts.queue.queued} queued tasks, none finished for {stalled:.0f} s (HEALTH_MAX_LAG={limit} s)"
            )
        self.stdout.write(f"tasks flow: {len(facts.lags)} schedules on time, {facts.queue.queued} queued")
