"""Helpers for the runs tests: runs and gates built through the services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from artifacts.services import artifact_create
from runs.models import GateRequest, Run
from runs.services import gate_open


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
