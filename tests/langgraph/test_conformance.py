"""LangGraph's own conformance suite (langgraph-checkpoint-conformance) against our saver."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import pytest
from langgraph.checkpoint.conformance import checkpointer_test, validate
from langgraph.checkpoint.conformance.capabilities import ALL_CAPABILITIES
from langgraph.checkpoint.conformance.report import ProgressCallbacks

from runs.langgraph import DjangoCheckpointSaver

# The suite drives the async API, whose worker threads use their own connections: the data
# must be committed for them to see it.
pytestmark = pytest.mark.django_db(transaction=True)


@checkpointer_test(name="DjangoCheckpointSaver")
async def django_saver() -> AsyncGenerator[DjangoCheckpointSaver, None]:
    saver = DjangoCheckpointSaver()
    try:
        yield saver
    finally:
        await asyncio.to_thread(saver.close)


def test_saver_passes_every_base_and_extended_capability_of_the_conformance_suite() -> None:
    report = asyncio.run(validate(django_saver, progress=ProgressCallbacks.verbose()))
    report.print_report()

    failures = {name: result.failures for name, result in report.results.items() if result.failures}
    assert failures == {}
    assert {name for name, result in report.results.items() if result.detected} == {
        capability.value for capability in ALL_CAPABILITIES
    }
    assert report.conformance_level() == "FULL"
