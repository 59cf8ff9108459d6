"""LangGraph integration: a checkpointer on the runs app's tables and its retention (the demo
pipeline that runs on it is the ``myloware.demo`` app).

``runs.models`` imports ``runs.langgraph.models`` while it is itself being imported, so this
package must not import models (or LangGraph, which is slow to import) eagerly: the saver is
loaded on first access (PEP 562).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runs.langgraph.saver import DjangoCheckpointSaver

__all__ = ["DjangoCheckpointSaver"]


def __getattr__(name: str) -> Any:
    if name == "DjangoCheckpointSaver":
        from runs.langgraph.saver import DjangoCheckpointSaver

        return DjangoCheckpointSaver
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
