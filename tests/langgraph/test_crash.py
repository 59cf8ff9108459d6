"""A graph process killed after a checkpoint: a fresh process resumes, finished nodes don't rerun,
and the readable state it had not written yet is rebuilt by the repair job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from runs.langgraph import DjangoCheckpointSaver
from runs.langgraph.services import checkpoints_refresh_readable_states
from runs.models import OrchestrationCheckpoint, Run

pytestmark = pytest.mark.django_db(transaction=True)


def worker(run_id: str, log: Path, **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.langgraph.crash_worker",
            run_id,
            str(log),
            connection.settings_dict["NAME"],
        ],
        cwd=settings.BASE_DIR,
        env={**os.environ, **env},
    )


def test_a_killed_graph_process_resumes_in_a_fresh_one_without_rerunning_finished_nodes(
    make_run: Callable[..., Run], tmp_path: Path
) -> None:
    run = make_run()
    log = tmp_path / "nodes.log"
    log.write_text("")
    # The first process coalesces readable states for an hour: its kill loses the pending one.
    first = worker(run.run_id, log, LANGGRAPH_READABLE_STATE_DELAY_MS="3600000")
    deadline = time.monotonic() + 60
    while "b" not in log.read_text().split() and time.monotonic() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)  # no clean-up of any kind: a crash
    assert first.wait(timeout=10) == -signal.SIGKILL

    saver = DjangoCheckpointSaver()
    try:
        crashed_at = saver.get_tuple({"configurable": {"thread_id": run.run_id}})
    finally:
        saver.close()
    assert crashed_at.checkpoint["channel_values"]["done"] == ["a"]
    assert not OrchestrationCheckpoint.objects.filter(run_id=run.run_id).exists()

    # The repair job leaves checkpoints a live saver may still be writing, then rebuilds the state.
    assert checkpoints_refresh_readable_states(now=timezone.now()) == 0
    later = timezone.now() + timedelta(seconds=settings.LANGGRAPH_READABLE_STATE_GRACE_SECONDS + 1)
    assert checkpoints_refresh_readable_states(now=later) == 1
    assert OrchestrationCheckpoint.objects.get(run_id=run.run_id).state == {"done": ["a"]}
    assert checkpoints_refresh_readable_states(now=later) == 0  # up to date now

    second = worker(run.run_id, log)
    assert second.wait(timeout=60) == 0

    assert Counter(log.read_text().split()) == {"a": 1, "b": 2, "c": 1}  # b was interrupted mid-way
    assert OrchestrationCheckpoint.objects.get(run_id=run.run_id).state == {"done": ["a", "b", "c"]}
