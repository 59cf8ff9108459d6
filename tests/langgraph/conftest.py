"""Helpers for the LangGraph tests: runs built through the runs services, a saver per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from runs.langgraph import DjangoCheckpointSaver
from runs.models import Run, RunStatus
from runs.services import run_create, run_transition


@pytest.fixture
def saver() -> Iterator[DjangoCheckpointSaver]:
    saver = DjangoCheckpointSaver()
    yield saver
    saver.close()


@pytest.fixture
def make_run(db: None) -> Callable[..., Run]:
    """A run moved through the real transitions to ``status``."""
    paths = {
        RunStatus.PENDING: [],
        RunStatus.RUNNING: [RunStatus.RUNNING],
        RunStatus.AWAITING_APPROVAL: [RunStatus.RUNNING, RunStatus.AWAITING_APPROVAL],
        RunStatus.PUBLISHED: [RunStatus.RUNNING, RunStatus.PUBLISHED],
        RunStatus.FAILED: [RunStatus.RUNNING, RunStatus.FAILED],
        RunStatus.REJECTED: [RunStatus.RUNNING, RunStatus.AWAITING_APPROVAL, RunStatus.REJECTED],
        RunStatus.CANCELLED: [RunStatus.CANCELLED],
    }

    def _make(status: str = RunStatus.RUNNING, project: str = "aismr") -> Run:
        run = run_create(project=project, actor="api:orchestrator")
        for step in paths[status]:
            run = run_transition(run_id=run.run_id, to=step, actor="test")
        return run

    return _make
