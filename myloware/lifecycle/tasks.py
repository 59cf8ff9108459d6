"""django-q2 entry points of the data lifecycle."""

from __future__ import annotations

import time

from django.conf import settings
from django.utils import timezone
from django_q.tasks import async_task

from myloware.lifecycle import services

# Each run stops starting batches after half of Q_TIMEOUT (a batch is short), so the cluster
# never kills it; what is left is taken by a follow-up task queued at once.
RUN_BUDGET_SHARE = 0.5


def retention() -> str:
    """Schedule (daily): apply the retention policy; queue a follow-up while rows are left."""
    deadline = time.monotonic() + settings.Q_CLUSTER["timeout"] * RUN_BUDGET_SHARE
    results = services.retention_run(now=timezone.now(), apply=True, deadline=deadline)
    if any(result.incomplete for result in results):
        async_task("myloware.lifecycle.tasks.retention", q_options={"ack_failure": False})
    return "; ".join(result.summary() for result in results)
