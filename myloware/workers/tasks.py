"""django-q2 entry points of the workers app."""

from __future__ import annotations

import logging
from datetime import datetime

from django.utils import timezone

logger = logging.getLogger(__name__)


def canary(sent_at: str, cluster: str) -> float:
    """The canary round trip: broker, pusher, task queue, worker, result queue. Returns its
    queueing latency in seconds; the worker's heartbeat (``heartbeat``) is the evidence."""
    latency = (timezone.now() - datetime.fromisoformat(sent_at)).total_seconds()
    logger.debug("canary of %s went through the queue in %.2f s", cluster, latency)
    return latency
