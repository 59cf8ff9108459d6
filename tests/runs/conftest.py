"""Helpers for the runs tests: runs and gates built through the services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from artifacts.services import artifact_create
from runs.models import GateRequest, Run, RunStatus
from runs.services import gate_open, run_create, run_transition


@pytest.fixture
def make_run(db: None) -> Callable[..., Run]:
    counter = iter(range(1, 100_000))

    def _make(
        status: str = RunStatus.RUNNING, project: str = "aismr", actor: str = "api:orchestrator"
    ) -> Run:
        initial = RunStatus.PENDING_WORKFLOW if status == RunStatus.PENDING_WORKFLOW else RunStatus.PENDING
        run = run_create(project=project, payload={"n": next(counter)}, status=initial, actor=actor)
        path = {
            RunStatus.RUNNING: [RunStatus.RUNNING],
            RunStatus.AWAITING_APPROVAL: [RunStatus.RUNNING, RunStatus.AWAITING_APPROVAL],
            RunStatus.PUBLISHED: [RunStatus.RUNNING, RunStatus.PUBLISHED],
        }.get(status, [] if status in (initial,) else [status])
        for step in path:
            run = run_transition(run_id=run.run_id, to=step, actor="test")
        return run

    return _make


@pytest.fixture
def gate_with_idea(make_run: Callable[..., Run]) -> Callable[..., GateRequest]:
    """A running run with an idea artifact and its ideate gate open."""

    def _make(**run_kwargs: Any) -> GateRequest:
        run = make_run(**run_kwargs)
        idea, _ = artifact_create(
            run_id=run.run_id, type="idea", persona="iggy", metadata={"text": "ASMR soap"}
        )
        gate_request, _ = gate_open(
            run_id=run.run_id, gate="ideate", actor="api:orchestrator", artifact_ids=[str(idea.id)]
        )
        return gate_request

    return _make


@pytest.fixture
def make_operator(db: None) -> Callable[[str], User]:
    def _make(username: str) -> User:
        user = User.objects.create_user(username, password="operator-pass-123", is_staff=True)
        user.groups.add(Group.objects.get(name="operators"))
        return user

    return _make
