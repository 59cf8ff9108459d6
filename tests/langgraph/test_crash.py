"""A graph process killed mid-run: its runs' readable state is its last checkpoint's, wherever the
kill lands, and a fresh process resumes from that checkpoint without rerunning finished nodes."""

from __future__ import annotations

import json
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

pytestmark = [pytest.mark.crash, pytest.mark.django_db(transaction=True)]

WAIT_SECONDS = 60

# The readable row against the thread's root checkpoints, on one snapshot: the killed process's
# last statement may still be committing.
ROW_AND_CHECKPOINTS_SQL = """
SELECT o.version, o.state::text,
       (SELECT count(*) FROM langgraph_checkpoints c WHERE c.thread_id = o.run_id AND c.checkpoint_ns = ''),
       (SELECT c.checkpoint -> 'channel_values' ->> 'count' FROM langgraph_checkpoints c
        WHERE c.thread_id = o.run_id AND c.checkpoint_ns = '' ORDER BY c.checkpoint_id DESC LIMIT 1)
FROM orchestration_checkpoints o WHERE o.run_id = %s
"""


def worker(graph: str, run_id: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.langgraph.crash_worker",
            graph,
            run_id,
            str(log),
            connection.settings_dict["NAME"],
        ],
        cwd=settings.BASE_DIR,
    )


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)  # no clean-up of any kind: a crash
    assert process.wait(timeout=10) == -signal.SIGKILL


def wait_for(condition: Callable[[], bool], process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert process.poll() is None, "the graph process ended by itself"
        assert time.monotonic() < deadline, "the graph process did not get there in time"
        time.sleep(0.01)


def test_a_killed_graph_process_leaves_its_last_checkpoints_state_and_resumes_in_a_fresh_one(
    make_run: Callable[..., Run], tmp_path: Path
) -> None:
    run = make_run()
    log = tmp_path / "nodes.log"
    log.write_text("")
    first = worker("abc", run.run_id, log)
    wait_for(lambda: "b" in log.read_text().split(), first)
    kill(first)

    saver = DjangoCheckpointSaver()
    try:
        crashed_at = saver.get_tuple({"configurable": {"thread_id": run.run_id}})
    finally:
        saver.close()
    assert crashed_at.checkpoint["channel_values"]["done"] == ["a"]
    assert OrchestrationCheckpoint.objects.get(run_id=run.run_id).state == {"done": ["a"]}

    second = worker("abc", run.run_id, log)
    assert second.wait(timeout=WAIT_SECONDS) == 0

    assert Counter(log.read_text().split()) == {"a": 1, "b": 2, "c": 1}  # b was interrupted mid-way
    assert OrchestrationCheckpoint.objects.get(run_id=run.run_id).state == {"done": ["a", "b", "c"]}


@pytest.mark.parametrize("kill_after_puts", [2, 15, 60, 150])
def test_wherever_a_kill_lands_the_readable_state_matches_the_last_checkpoint(
    make_run: Callable[..., Run], tmp_path: Path, kill_after_puts: int
) -> None:
    run = make_run()
    looping = worker("loop", run.run_id, tmp_path / "unused.log")

    def written() -> bool:
        version = OrchestrationCheckpoint.objects.filter(run_id=run.run_id).values_list("version", flat=True)
        return bool(version) and version[0] >= kill_after_puts

    wait_for(written, looping)
    kill(looping)  # amid its next supersteps: a put, its pending writes, or LangGraph in between

    with connection.cursor() as cursor:
        cursor.execute(ROW_AND_CHECKPOINTS_SQL, [run.run_id])
        version, state, checkpoints, latest_count = cursor.fetchone()
    # One state write per root checkpoint, none without one: the state is the latest checkpoint's.
    assert version == checkpoints
    assert version >= kill_after_puts
    assert json.loads(state) == {"count": int(latest_count)}
