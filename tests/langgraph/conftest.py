"""Helpers for the LangGraph tests: runs built through the runs services, a saver per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from runs.langgraph import DjangoCheckpointSaver


@pytest.fixture
def saver() -> Iterator[DjangoCheckpointSaver]:
    saver = DjangoCheckpointSaver()
    yield saver
    saver.close()
