"""A graph process killed after a checkpoint: a fresh process resumes, finished nodes don't rerun."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from runs.langgraph import DjangoCheckpointSaver
from runs.models import OrchestrationCheckpoint, Run

pytestmark = pytest.mark.django_db(transaction=True)


def worker(run_id: str, log: Path) -> subprocess.Popen[bytes]:
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
    )


def test_a_killed_graph_process_resumes_in_a_fresh_one_without_rerunning_finished_nodes(
    make_run: Callable[..., Run], tmp_path: Path
) -> None:
    run = make_run()
    log = tmp_path / "nodes.log"
    log.write_text("")
    first = worker(run.run_id, log)
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

    second = worker(run.run_id, log)
    assert second.wait(timeout=60) == 0

    assert Counter(log.read_text().split()) == {"a": 1, "b": 2, "c": 1}  # b was interrupted mid-way
    assert OrchestrationCheckpoint.objects.get(run_id=run.run_id).state == {"done": ["a", "b", "c"]}
