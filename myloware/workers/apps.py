from __future__ import annotations

from django.apps import AppConfig


class WorkersConfig(AppConfig):
    """Background work as django-q2's own tables tell it: schedule lag, the task queue, the probe."""

    name = "myloware.workers"
    label = "workers"
    verbose_name = "Background work"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_q.signals import pre_enqueue, pre_execute

        from myloware.lib.tasks import adopt_request_id, carry_request_id

        # A task logs under the id of the request that queued it (myloware/lib/tasks.py).
        pre_enqueue.connect(carry_request_id, dispatch_uid="myloware.carry_request_id")
        pre_execute.connect(adopt_request_id, dispatch_uid="myloware.adopt_request_id")
