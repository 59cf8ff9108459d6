"""Retention: checkpoints of long-ended runs are pruned to the latest; waiting runs never are."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from artifacts.services import artifact_create
from runs.langgraph import DjangoCheckpointSaver, tasks
from runs.langgraph.models import LangGraphCheckpoint, LangGraphCheckpointBlob
from runs.langgraph.schedules import SCHEDULES
from runs.models import Run, RunStatus, RunTransition
from runs.services import gate_open
from tests.langgraph.test_saver import chat_graph, config

pytestmark = pytest.mark.django_db(transaction=True)


def with_history(saver: DjangoCheckpointSaver, run: Run, days_ago: float) -> Run:
    """Four checkpoints on the run, and its transitions (so its end) moved ``days_ago`` back."""
    chat_graph(saver).invoke({"messages": []}, config(run.run_id))
    past = timezone.now() - timedelta(days=days_ago)
    RunTransition.objects.filter(run_id=run.run_id).update(created_at=past)
    Run.objects.filter(run_id=run.run_id).update(updated_at=past)
    return run


def checkpoints(run: Run) -> int:
    return LangGraphCheckpoint.objects.filter(thread_id=run.run_id).count()


@override_settings(LANGGRAPH_RETENTION_DAYS=7)
def test_runs_that_ended_long_ago_keep_only_their_latest_checkpoint(
    saver: DjangoCheckpointSaver, make_run: Callable[..., Run]
) -> None:
    old = {status: with_history(saver, make_run(status), 8) for status in ("published", "failed", "rejected")}
    recent = with_history(saver, make_run(RunStatus.PUBLISHED), 6)
    latest = saver.get_tuple(config(old["published"].run_id))

    assert tasks.prune_checkpoints() == 3

    assert {status: checkpoints(run) for status, run in old.items()} == {
        "published": 1,
        "failed": 1,
        "rejected": 1,
    }
    assert checkpoints(recent) == 4
    kept = saver.get_tuple(config(old["published"].run_id))
    assert kept.checkpoint == latest.checkpoint and kept.parent_config is None
    # Blobs only the deleted checkpoints used are gone too.
    assert (
        LangGraphCheckpointBlob.objects.filter(thread_id=old["published"].run_id, channel="messages").count()
        == 1
    )
    assert tasks.prune_checkpoints() == 0  # nothing left to do


@override_settings(LANGGRAPH_RETENTION_DAYS=0)
def test_pruning_never_touches_a_run_waiting_at_a_gate(
    saver: DjangoCheckpointSaver, make_run: Callable[..., Run]
) -> None:
    waiting = with_history(saver, make_run(RunStatus.RUNNING), 30)
    idea, _ = artifact_create(run_id=waiting.run_id, type="idea", persona="iggy", metadata={"text": "soap"})
    gate_open(run_id=waiting.run_id, gate="ideate", actor="test", artifact_ids=[str(idea.id)])
    Run.objects.filter(run_id=waiting.run_id).update(updated_at=timezone.now() - timedelta(days=30))
    ended = with_history(saver, make_run(RunStatus.CANCELLED), 30)

    assert tasks.prune_checkpoints() == 1

    assert Run.objects.get(run_id=waiting.run_id).status == RunStatus.AWAITING_APPROVAL
    assert checkpoints(waiting) == 4
    assert checkpoints(ended) == 1


def test_the_retention_job_is_declared_as_a_schedule() -> None:
    assert [spec["func"] for spec in SCHEDULES] == ["runs.langgraph.tasks.prune_checkpoints"]
