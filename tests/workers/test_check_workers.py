"""`manage.py check_workers`: the liveness probe of one cluster (exit status 1 when work stopped)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from myloware.workers.models import WorkerHeartbeat, WorkerRole

pytestmark = pytest.mark.django_db


def beat(*, ago: float, cluster: str = "pod-a") -> None:
    moment = timezone.now() - timedelta(seconds=ago)
    WorkerHeartbeat.objects.create(cluster=cluster, pid=1, host="pod-a", started_at=moment, beat_at=moment)
    WorkerHeartbeat.objects.create(
        cluster=cluster, pid=2, host="pod-a", started_at=moment, beat_at=moment, role=WorkerRole.MONITOR
    )


def check(name: str = "pod-a") -> str:
    out = StringIO()
    call_command("check_workers", "--name", name, stdout=out)
    return out.getvalue()


def test_a_flowing_cluster_passes(settings: Any) -> None:
    settings.WORKER_STALE_AFTER = 30
    beat(ago=2)
    assert "cluster 'pod-a': 1 workers, last task" in check()


def test_a_stale_cluster_fails_naming_its_age_and_the_limit(settings: Any) -> None:
    settings.WORKER_STALE_AFTER = 30
    beat(ago=31)
    with pytest.raises(
        CommandError, match=r"no task went through its 1 workers for 31\.\d s .*WORKER_STALE_AFTER=30"
    ):
        check()


def test_a_cluster_without_workers_fails_and_others_do_not_count(settings: Any) -> None:
    beat(ago=1, cluster="pod-b")
    with pytest.raises(CommandError, match="cluster 'pod-a' has no running workers"):
        check()


def test_the_default_name_is_this_machines(settings: Any) -> None:
    settings.WORKER_NAME = "pod-a"
    beat(ago=1)
    out = StringIO()
    call_command("check_workers", stdout=out)
    assert "pod-a" in out.getvalue()
