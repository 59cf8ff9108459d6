"""A three-node graph (a → b → c, interrupted before b) and the per-table checksums the backup
test compares between the original and the restored database."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict

from django.db import connection


class State(TypedDict, total=False):
    done: list[str]


def build(log: Path) -> Any:
    """Each node appends its name to ``log`` when it runs (what ran in which process)."""
    from langgraph.graph import END, START, StateGraph

    def node(name: str) -> Any:
        def run(state: State) -> State:
            with log.open("a") as handle:
                handle.write(name + "\n")
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


def table_checksums() -> dict[str, list[Any]]:
    """``{table: [rows, md5 of every row's text]}`` for every table of the public schema. A row's
    text holds each bytea as hex and each vector's components exactly (shortest round-trip
    floats), so equal checksums mean byte-identical rows."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        tables = [name for (name,) in cursor.fetchall()]
        sums: dict[str, list[Any]] = {}
        for table in tables:
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM \"{table}\" t"  # noqa: S608 - catalogue names
            )
            count, digest = cursor.fetchone()
            sums[table] = [count, digest]
    return sums
