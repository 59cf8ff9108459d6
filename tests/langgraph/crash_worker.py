"""A graph process for the crash tests: ``python -m tests.langgraph.crash_worker GRAPH RUN_ID LOG DB``.

``abc``: nodes a → b → c append their name to LOG when they start; b then waits (for the test
to kill the process) unless LOG already shows it started once. ``loop``: one node adds 1 to a
counter, superstep after superstep, until the test kills the process. With
``durability="sync"`` a node starts only after the previous step's checkpoint is committed.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any, TypedDict

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myloware.settings_test")

LOOP_STEPS = 1_000_000  # more than a test ever waits for: the loop ends by the kill


class State(TypedDict, total=False):
    done: list[str]


class Counter(TypedDict):
    count: int


def abc_graph(log: Path) -> Any:
    from langgraph.graph import END, START, StateGraph

    def node(name: str):  # type: ignore[no-untyped-def]
        def run(state: State) -> State:
            first_time = name not in log.read_text().split()
            with log.open("a") as handle:
                handle.write(name + "\n")
            if name == "b" and first_time:
                time.sleep(60)  # killed here by the test
            return {"done": [*state.get("done", []), name]}

        return run

    builder = StateGraph(State)
    for name in "abc":
        builder.add_node(name, node(name))
    builder.add_edge(START, "a")
    builder.add_edge("a", "b")
    builder.add_edge("b", "c")
    builder.add_edge("c", END)
    return builder


def loop_graph(log: Path) -> Any:
    from langgraph.graph import START, StateGraph

    builder = StateGraph(Counter)
    builder.add_node("tick", lambda state: {"count": state["count"] + 1})
    builder.add_edge(START, "tick")
    builder.add_edge("tick", "tick")
    return builder


def main(graph: str, run_id: str, log: Path, database: str) -> None:
    import django
    from django.conf import settings

    django.setup()
    settings.DATABASES["default"]["NAME"] = database  # the test database of the parent

    from runs.langgraph import DjangoCheckpointSaver

    saver = DjangoCheckpointSaver()
    compiled = {"abc": abc_graph, "loop": loop_graph}[graph](log).compile(checkpointer=saver)
    config: Any = {"configurable": {"thread_id": run_id}, "recursion_limit": LOOP_STEPS}
    # A thread with a checkpoint is resumed from it (input None); a new one starts.
    started = compiled.get_state(config).next or compiled.get_state(config).values
    first_input = {"done": []} if graph == "abc" else {"count": 0}
    compiled.invoke(None if started else first_input, config, durability="sync")
    saver.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4])
