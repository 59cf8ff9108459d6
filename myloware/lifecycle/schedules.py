"""The daily retention run (created by ``manage.py setup_schedules``).

``ack_failure: False``: a run that fails is not acknowledged, so django-q2's broker hands it out
again after Q_RETRY, up to Q_MAX_ATTEMPTS times (every batch it committed before is whole).
"""

from __future__ import annotations

SCHEDULES = [
    {
        "name": "lifecycle.retention",
        "func": "myloware.lifecycle.tasks.retention",
        "schedule_type": "D",
        "repeats": -1,
        "kwargs": "{'q_options': {'ack_failure': False}}",
    },
]
