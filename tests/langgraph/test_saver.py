"""The checkpointer under a real LangGraph graph: our tables, the readable state, cascades."""

from __future__ import annotations

import asyncio
import math
import operator
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, TypedDict

import psycopg
import pytest
from django.db import connection
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.base import empty_checkpoint
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt

from runs.langgraph import DjangoCheckpointSaver
from runs.langgraph.models import LangGraphCheckpoint, LangGraphCheckpointBlob, LangGraphCheckpointWrite
from runs.models import OrchestrationCheckpoint, Run
from tests.race import race, raised

# The saver writes on connections of its own (as in production), which only see committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


class ChatState(TypedDict, total=False):
    messages: Annotated[list, operator.add]
    step: int
    payload: Any


def chat_graph(saver: DjangoCheckpointSaver, extra: Any = None) -> Any:
    def ask(state: ChatState) -> ChatState:
        return {"messages": [HumanMessage("make a soap-cutting video")], "step": 1, "payload": extra}

    def answer(state: ChatState) -> ChatState:
        return {"messages": [AIMessage("Here are three ideas")], "step": state["step"] + 1}

    builder = StateGraph(ChatState)
    builder.add_node("ask", ask)
    builder.add_node("answer", answer)
    builder.add_edge(START, "ask")
    builder.add_edge("ask", "answer")
    builder.add_edge("answer", END)
    return builder.compile(checkpointer=saver)


def config(thread_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id}}


def test_a_graph_run_writes_our_tables_and_the_runs_readable_state(
    saver: DjangoCheckpointSaver, make_run: Callable[..., Run]
) -> None:
    run = make_run()

    result = chat_graph(saver, extra=b"\x00raw").invoke({"messages": []}, config(run.run_id))

    assert result["step"] == 2
    assert LangGraphCheckpoint.objects.filter(thread_id=run.run_id).count() == 4  # input + 3 steps
    assert LangGraphCheckpointBlob.objects.filter(thread_id=run.run_id, channel="messages").exists()
    assert LangGraphCheckpointWrite.objects.filter(thread_id=run.run_id).exists()
    state = OrchestrationCheckpoint.objects.get(run_id=run.run_id).state
    assert state == {
        "messages": ["<HumanMessage: make a soap-cutting video>", "<AIMessage: Here are three ideas>"],
        "step": 2,
        "payload": "<bytes: 4 bytes>",
    }
    # The description is only the view: the value itself comes back exactly.
    restored = saver.get_tuple(config(run.run_id)).checkpoint["channel_values"]
    assert restored["payload"] == b"\x00raw"
    assert [m.content for m in restored["messages"]] == ["make a soap-cutting video", "Here are three ideas"]


def test_each_checkpoint_moves_updated_at_and_the_api_version(
    saver: DjangoCheckpointSaver, make_run: Callable[..., Run]
) -> None:
    run = make_run()
    graph = chat_graph(saver)
    graph.invoke({"messages": []}, config(run.run_id))
    first = OrchestrationCheckpoint.objects.get(run_id=run.run_id)

    graph.invoke({"messages": [HumanMessage("again")]}, config(run.run_id))

    second = OrchestrationCheckpoint.objects.get(run_id=run.run_id)
    assert second.updated_at > first.updated_at
    assert second.version == first.version + 4
    assert len(second.state["messages"]) == 5


def put_step(saver: DjangoCheckpointSaver, after: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """``saver.put`` of the next checkpoint of ``after``'s thread and namespace, with ``values``."""
    checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = values
    checkpoint["channel_versions"] = {channel: saver.get_next_version(None, None) for channel in values}
    return saver.put(after, checkpoint, {"source": "loop", "step": values.get("step", 0)}, {})


def test_the_readable_state_is_the_checkpoints_the_moment_put_returns(
    saver: DjangoCheckpointSaver, make_run: Callable[..., Run]
) -> None:
    run = make_run()
    root = {"configurable": {"thread_id": run.run_id, "checkpoint_ns": ""}}
    for step in range(1, 21):
        root = put_step(saver, root, {"step": step, "topic": f"take {step}"})
        row = OrchestrationCheckpoint.objects.get(run_id=run.run_id)
        assert (row.state, row.version) == ({"step": step, "topic": f"take {step}"}, step)

    # A subgraph's checkpoint (a namespace of its own) is not the run's state.
    put_step(saver, {"configurable": {"thread_id": run.run_id, "checkpoint_ns": "child:1"}}, {"step": 99})
    row = OrchestrationCheckpoint.objects.get(run_id=run.run_id)
    assert (row.state["step"], row.version) == (20, 20)


RACE_ROUNDS = 10
RACE_SAVERS = 4
RACE_PUTS = 25


def race_puts(run_id: str) -> list[Any]:
    """RACE_SAVERS savers, each putting RACE_PUTS checkpoints of its own on the run, at once."""
    savers = [DjangoCheckpointSaver() for _ in range(RACE_SAVERS)]

    def puts(index: int) -> None:
        after = {"configurable": {"thread_id": run_id, "checkpoint_ns": ""}}
        for step in range(RACE_PUTS):
            after = put_step(savers[index], after, {"saver": index, "step": step})

    try:
        return race(RACE_SAVERS, puts)
    finally:
        for saver in savers:
            saver.close()


def test_savers_racing_on_one_run_count_every_put_and_leave_a_last_put_whole(
    make_run: Callable[..., Run],
) -> None:
    for _ in range(RACE_ROUNDS):
        run = make_run()  # no readable row yet: the first puts race to insert it

        assert raised(race_puts(run.run_id)) == []

        row = OrchestrationCheckpoint.objects.get(run_id=run.run_id)
        assert row.version == RACE_SAVERS * RACE_PUTS
        # Each saver's puts are in turn, so the last one committed is some saver's last put.
        assert row.state["step"] == RACE_PUTS - 1 and set(row.state) == {"saver", "step"}


def test_a_thread_that_is_not_a_run_gets_checkpoints_but_no_orchestration_row(
    saver: DjangoCheckpointSaver, db: None
) -> None:
    chat_graph(saver).invoke({"messages": []}, config("scratch-thread"))

    assert LangGraphCheckpoint.objects.filter(thread_id="scratch-thread").count() == 4
    assert not OrchestrationCheckpoint.objects.filter(run_id="scratch-thread").exists()


@pytest.mark.parametrize("how", ["orm", "sql"])
def test_deleting_a_run_deletes_its_checkpoints_blobs_and_writes(
    saver: DjangoCheckpointSaver, make_run: Callable[..., Run], how: str
) -> None:
    run, other = make_run(), make_run()
    graph = chat_graph(saver)
    graph.invoke({"messages": []}, config(run.run_id))
    graph.invoke({"messages": []}, config(other.run_id))

    if how == "orm":
        Run.objects.filter(run_id=run.run_id).delete()
    else:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM runs WHERE run_id = %s", [run.run_id])

    for model in (LangGraphCheckpoint, LangGraphCheckpointBlob, LangGraphCheckpointWrite):
        assert not model.objects.filter(thread_id=run.run_id).exists()
        assert model.objects.filter(thread_id=other.run_id).exists()


def test_values_json_cannot_express_round_trip_exactly_and_read_as_descriptions(
    saver: DjangoCheckpointSaver, make_run: Callable[..., Run]
) -> None:
    run = make_run()
    odd = {
        "nul": "a\x00b",
        "big": 2**64 - 1,
        "price": Decimal("1.10"),
        "nan": math.nan,
        "tags": {"asmr"},
        "pair": (1, 2),
        3: "int key",
    }

    chat_graph(saver, extra=odd).invoke({"messages": []}, config(run.run_id))

    restored = saver.get_tuple(config(run.run_id)).checkpoint["channel_values"]["payload"]
    assert restored["nul"] == "a\x00b" and restored["big"] == 2**64 - 1 and math.isnan(restored["nan"])
    assert restored["price"] == Decimal("1.10")
    assert restored["tags"] == {"asmr"} and restored[3] == "int key"
    assert list(restored["pair"]) == [1, 2]  # LangGraph's msgpack serializer returns tuples as lists
    shown = OrchestrationCheckpoint.objects.get(run_id=run.run_id).state["payload"]
    assert shown == {
        "nul": "a\\u0000b",
        "big": 2**64 - 1,
        "price": "<Decimal: Decimal('1.10')>",
        "nan": "<float: nan>",
        "tags": "<set: 1 items>",
        "pair": [1, 2],
        "3": "int key",
    }


@pytest.mark.parametrize(
    "value", [1e16, -2.5e20, 1.7976931348623157e308, 9999999999999998.0, 0.1, 2.0, 5e-324]
)
def test_a_float_channel_value_comes_back_a_float_of_the_same_value(
    saver: DjangoCheckpointSaver, make_run: Callable[..., Run], value: float
) -> None:
    """JSONB would turn an inlined 1e16 into the integer 10000000000000000: large ones go to blobs."""
    run = make_run()

    chat_graph(saver, extra=value).invoke({"messages": []}, config(run.run_id))

    restored = saver.get_tuple(config(run.run_id)).checkpoint["channel_values"]["payload"]
    assert type(restored) is float and restored == value


def test_large_channel_values_and_writes_are_stored_compressed_and_restored_exactly(
    saver: DjangoCheckpointSaver, make_run: Callable[..., Run]
) -> None:
    run = make_run()
    script = "close-up of a knife cutting a bar of lavender soap, slow and quiet. " * 200

    chat_graph(saver, extra={"script": script}).invoke({"messages": []}, config(run.run_id))

    blob = LangGraphCheckpointBlob.objects.filter(thread_id=run.run_id, channel="payload").get()
    write = LangGraphCheckpointWrite.objects.filter(thread_id=run.run_id, channel="payload").get()
    assert blob.type == write.type == "msgpack+zstd"
    assert len(bytes(blob.blob)) < len(script) / 10
    latest = saver.get_tuple(config(run.run_id))
    assert latest.checkpoint["channel_values"]["payload"] == {"script": script}
    pending = [
        (channel, value) for t in saver.list(config(run.run_id)) for _, channel, value in t.pending_writes
    ]
    assert ("payload", {"script": script}) in pending
    assert OrchestrationCheckpoint.objects.get(run_id=run.run_id).state["payload"] == {"script": script}


def test_a_gate_interrupt_resumes_with_command_keyed_by_interrupt_id(
    saver: DjangoCheckpointSaver, make_run: Callable[..., Run]
) -> None:
    class GateState(TypedDict, total=False):
        decision: str

    def gate(state: GateState) -> GateState:
        return {"decision": interrupt({"gate": "ideate"})}

    builder = StateGraph(GateState)
    builder.add_node("gate", gate)
    builder.add_edge(START, "gate")
    builder.add_edge("gate", END)
    graph = builder.compile(checkpointer=saver)
    run = make_run()

    graph.invoke({}, config(run.run_id))
    pending = graph.get_state(config(run.run_id)).interrupts
    # A fresh saver and graph (another process would do the same) finds the interrupt.
    fresh_saver = DjangoCheckpointSaver()
    try:
        result = builder.compile(checkpointer=fresh_saver).invoke(
            Command(resume={pending[0].id: "approve"}), config(run.run_id)
        )
    finally:
        fresh_saver.close()

    assert pending[0].value == {"gate": "ideate"}
    assert result == {"decision": "approve"}
    assert OrchestrationCheckpoint.objects.get(run_id=run.run_id).state == {"decision": "approve"}


def test_async_methods_leave_the_event_loop_free_while_the_database_waits(
    saver: DjangoCheckpointSaver,
) -> None:
    """A lock holds aput in the database; a coroutine on the same loop sees it wait and releases it.
    Were the loop blocked by the wait, only the watchdog thread could release the lock."""
    graph = chat_graph(saver)
    params = connection.get_connection_params()
    locker = psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"})
    locker.execute("LOCK TABLE langgraph_checkpoints IN EXCLUSIVE MODE")
    stuck = threading.Event()

    def release_if_stuck() -> None:
        stuck.set()
        locker.rollback()

    watchdog = threading.Timer(60, release_if_stuck)

    def a_writer_waits_for_the_lock() -> bool:
        waiting = locker.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
            " WHERE d.datname = current_database() AND l.relation = 'langgraph_checkpoints'::regclass"
            " AND NOT l.granted"
        ).fetchone()
        return bool(waiting and waiting[0])

    async def scenario() -> None:
        invoke = asyncio.create_task(graph.ainvoke({"messages": []}, config("async-thread")))
        while not a_writer_waits_for_the_lock():
            assert not invoke.done()
            await asyncio.sleep(0.02)
        locker.rollback()  # from the loop, while the graph waits in the database
        await invoke

    watchdog.start()
    try:
        asyncio.run(scenario())
    finally:
        watchdog.cancel()
        locker.close()

    assert not stuck.is_set()  # the coroutine released the lock, not the watchdog
    assert LangGraphCheckpoint.objects.filter(thread_id="async-thread").count() == 4
