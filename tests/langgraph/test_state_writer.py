"""The runs' readable state, written beside the checkpoints: coalesced, in the background, newest
wins, kept through refused writes, written at close."""

from __future__ import annotations

import gc
import logging
import random
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.base import empty_checkpoint

from runs.langgraph import DjangoCheckpointSaver
from runs.models import OrchestrationCheckpoint, Run
from runs.services import checkpoint_save
from tests.langgraph.test_saver import chat_graph, config
from tests.race import race

pytestmark = pytest.mark.django_db(transaction=True)

AN_HOUR_MS = 3_600_000  # a delay no test waits out: only flush() or close() writes


@pytest.fixture
def saver_with_delay(settings: Any) -> Iterator[Callable[[int], DjangoCheckpointSaver]]:
    made: list[DjangoCheckpointSaver] = []

    def make(delay_ms: int) -> DjangoCheckpointSaver:
        settings.LANGGRAPH_READABLE_STATE_DELAY_MS = delay_ms
        made.append(DjangoCheckpointSaver())
        return made[-1]

    yield make
    for saver in made:
        saver.close()


def state_row(run: Run) -> OrchestrationCheckpoint | None:
    return OrchestrationCheckpoint.objects.filter(run_id=run.run_id).first()


def put_at(saver: DjangoCheckpointSaver, run: Run, taken_at: datetime, **values: Any) -> None:
    """A root checkpoint of ``run`` with LangGraph timestamp ``taken_at`` and primitive values."""
    checkpoint = empty_checkpoint()
    checkpoint["ts"] = taken_at.isoformat()
    checkpoint["channel_values"] = values
    versions = {channel: saver.get_next_version(None, None) for channel in values}
    checkpoint["channel_versions"] = versions
    saver.put({"configurable": {"thread_id": run.run_id, "checkpoint_ns": ""}}, checkpoint, {}, versions)


@contextmanager
def database_refusing_state_writes() -> Iterator[None]:
    """A trigger makes every write of orchestration_checkpoints fail, as a broken database would."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_refuse_state() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER test_refuse_state BEFORE INSERT OR UPDATE ON orchestration_checkpoints "
            "FOR EACH ROW EXECUTE FUNCTION test_refuse_state()"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER test_refuse_state ON orchestration_checkpoints")
            cursor.execute("DROP FUNCTION test_refuse_state()")


def test_the_checkpoints_of_a_run_within_the_delay_are_written_once_with_the_latest_state(
    saver_with_delay: Callable[[int], DjangoCheckpointSaver], make_run: Callable[..., Run]
) -> None:
    run = make_run()
    saver = saver_with_delay(AN_HOUR_MS)
    graph = chat_graph(saver)
    graph.invoke({"messages": []}, config(run.run_id))
    graph.invoke({"messages": [HumanMessage("again")]}, config(run.run_id))  # 8 checkpoints in all

    assert state_row(run) is None  # nothing written yet: still coalescing
    assert saver.flush(timeout=30)

    row = state_row(run)
    assert row is not None and row.version == 1  # one write, not eight
    assert len(row.state["messages"]) == 5 and row.state["step"] == 2
    assert (saver.readable_states.statements, saver.readable_states.rows) == (1, 1)


def test_without_a_flush_the_writer_thread_writes_the_state_shortly_after_the_checkpoint(
    saver_with_delay: Callable[[int], DjangoCheckpointSaver], make_run: Callable[..., Run]
) -> None:
    run = make_run()
    saver = saver_with_delay(20)

    chat_graph(saver).invoke({"messages": []}, config(run.run_id))

    # A generous deadline, polled: what is proven is that it comes without flush() or close().
    deadline = datetime.now(UTC) + timedelta(seconds=30)
    while (row := state_row(run)) is None or row.state.get("step") != 2:
        assert datetime.now(UTC) < deadline, "the readable state was never written"
        connection.close()  # a fresh snapshot each look
    assert row.state["messages"] == [
        "<HumanMessage: make a soap-cutting video>",
        "<AIMessage: Here are three ideas>",
    ]


def test_a_state_the_api_wrote_after_the_checkpoint_is_not_undone_by_the_late_write(
    saver_with_delay: Callable[[int], DjangoCheckpointSaver], make_run: Callable[..., Run]
) -> None:
    run = make_run()
    saver = saver_with_delay(AN_HOUR_MS)
    chat_graph(saver).invoke({"messages": []}, config(run.run_id))

    checkpoint_save(run_id=run.run_id, state={"by": "api"}, actor="api:test", expected_version=None)
    assert saver.flush(timeout=30)

    row = state_row(run)
    assert row is not None and row.state == {"by": "api"} and row.version == 1


def test_two_savers_writing_one_run_out_of_order_leave_the_newest_checkpoints_state(
    saver_with_delay: Callable[[int], DjangoCheckpointSaver], make_run: Callable[..., Run]
) -> None:
    """In each round one saver holds the newer checkpoint's state; they flush in turn (the older
    last) or at once, and the newer state is what stays."""
    run = make_run()
    savers = [saver_with_delay(AN_HOUR_MS), saver_with_delay(AN_HOUR_MS)]
    base = datetime(2026, 1, 1, tzinfo=UTC)
    shuffle = random.Random(15)
    for round_ in range(40):
        newer = shuffle.randrange(2)
        older_at, newer_at = base + timedelta(seconds=2 * round_), base + timedelta(seconds=2 * round_ + 1)
        put_at(savers[1 - newer], run, older_at, round=round_, newer=False)
        put_at(savers[newer], run, newer_at, round=round_, newer=True)

        if round_ % 2:
            assert race(2, lambda i: savers[i].flush(timeout=30)) == [True, True]
        else:
            assert savers[newer].flush(timeout=30) and savers[1 - newer].flush(timeout=30)

        row = state_row(run)
        assert row is not None and row.updated_at == newer_at, f"round {round_}"
        assert row.state == {"round": round_, "newer": True}, f"round {round_}"


def test_a_write_the_database_refuses_is_kept_retried_and_replaced_by_a_newer_state(
    saver_with_delay: Callable[[int], DjangoCheckpointSaver],
    make_run: Callable[..., Run],
    caplog: pytest.LogCaptureFixture,
) -> None:
    run = make_run()
    saver = saver_with_delay(10)
    graph = chat_graph(saver)
    caplog.set_level(logging.ERROR, logger="runs.langgraph.state_writer")
    with database_refusing_state_writes():
        graph.invoke({"messages": []}, config(run.run_id))
        assert not saver.flush(timeout=1)  # refused, and still pending
        graph.invoke({"messages": [HumanMessage("again")]}, config(run.run_id))
        assert state_row(run) is None

    assert saver.flush(timeout=30)  # the writer retried on its own, with the newest state

    row = state_row(run)
    assert row is not None and len(row.state["messages"]) == 5 and row.version == 1
    assert "Writing the readable state of 1 runs failed; retrying" in caplog.text


def test_closing_the_saver_writes_what_is_pending(
    saver_with_delay: Callable[[int], DjangoCheckpointSaver], make_run: Callable[..., Run]
) -> None:
    run = make_run()
    saver = saver_with_delay(AN_HOUR_MS)
    chat_graph(saver).invoke({"messages": []}, config(run.run_id))

    saver.close()

    row = state_row(run)
    assert row is not None and row.state["step"] == 2


def test_a_saver_nobody_closes_is_released_once_its_writer_is_idle(
    settings: Any, make_run: Callable[..., Run]
) -> None:
    """The writer's thread holds its saver (and the saver its connections) only while it has work."""
    run = make_run()
    settings.LANGGRAPH_READABLE_STATE_DELAY_MS = 0
    saver = DjangoCheckpointSaver()
    chat_graph(saver).invoke({"messages": []}, config(run.run_id))
    assert saver.flush(timeout=30)
    released = weakref.ref(saver)
    del saver

    deadline = datetime.now(UTC) + timedelta(seconds=30)
    while released() is not None:
        assert datetime.now(UTC) < deadline, "the saver is still held by its writer thread"
        gc.collect()
        threading.Event().wait(0.05)
    assert state_row(run) is not None
