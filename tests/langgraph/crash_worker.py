"""A graph process for the crash test: ``python -m tests.langgraph.crash_worker RUN_ID LOG DB``.

Nodes a → b → c append their name to LOG when they start; b then waits (for the test to kill
the process) unless LOG already shows it started once. With ``durability="sync"`` a node starts
only after the previous step's checkpoint is committed.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TypedDict

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myloware.settings_test")


class State(TypedDict, total=False):
    done: list[str]


def main(run_id: str, log: Path, database: str) -> None:
    import django
    from django.conf import settings

    django.setup()
    settings.DATABASES["default"]["NAME"] = database  # the test database of the parent

    from langgraph.graph import END, START, StateGraph

    from runs.langgraph import DjangoCheckpointSaver

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
    saver = DjangoCheckpointSaver()
    graph = builder.compile(checkpointer=saver)
    config = {"configurable": {"thread_id": run_id}}
    # A thread with a checkpoint is resumed from it (input None); a new one starts.
    started = graph.get_state(config).next or graph.get_state(config).values
    graph.invoke(None if started else {"done": []}, config, durability="sync")
    saver.close()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), sys.argv[3])
