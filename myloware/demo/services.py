"""Services of the demo pipeline: prepare, start and resume a run's graph.

The graph itself (personas, gates) is in ``pipeline.py``; the checkpointer it runs on is the runs
app's (``runs.langgraph``).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import connection
from langgraph.types import Command

from knowledge.services import kb_ingest
from myloware.demo.pipeline import build_graph, gate_decision
from myloware.lib.errors import Conflict, InvalidInput, NotFound
from runs.langgraph import DjangoCheckpointSaver
from runs.models import GateRequest, GateStatus, Run, RunStatus
from runs.services import run_create, run_get, run_transition
from socials.selectors import project_publish_target
from socials.services import fake_publisher_allowed, project_slug_check, project_social_link, social_create

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig

logger = logging.getLogger(__name__)

PIPELINE_KIND = "langgraph_demo"
# pg_advisory_lock(namespace, hashtext(run_id)): one graph invocation per run at a time.
RUN_LOCK_NAMESPACE = 7_240_001
_advancing: set[str] = set()  # runs this process is advancing right now
_advancing_lock = threading.Lock()


DEMO_KB = Path(__file__).resolve().parent / "kb"


def pipeline_prepare(*, project: str, actor: str) -> list[str]:
    """What a demo run needs: the demo knowledge-base documents, a publishing account.

    Ingests ``myloware/demo/kb`` (idempotent by content hash) and, when the project has no
    primary account, creates a TikTok account ``demo-<project>`` without credentials (served by
    the fake upload-post client, DEBUG only). Returns what it did, for the command to print.
    """
    project_slug_check(project)  # before anything is written for it
    report = kb_ingest(root=DEMO_KB, actor=actor, prefix="demo-kb")
    try:
        target = project_publish_target(project=project)
    except NotFound:
        # No rate-limit window: a demo may publish again a minute later.
        target = social_create(
            provider="tiktok",
            account_id=f"demo-{project}",
            actor=actor,
            default_caption=f"{project} demo",
            rate_limit_window=0,
        )
        project_social_link(project=project, social_id=target.pk, actor=actor, is_primary=True)
    if target.credential_ref:
        how = f"with its credential {target.credential_ref!r}"
    elif fake_publisher_allowed():
        how = "through the fake upload-post client (no credential_ref)"
    else:
        raise InvalidInput(
            f"{target} has no credential_ref and the fake publisher needs DEBUG=1 and SOCIALS_FAKE_PUBLISHER=1"
        )
    return [f"Knowledge base: {report.summary()}", f"Publishing to {target} {how}"]


def pipeline_start(*, project: str, actor: str, base_url: str, topic: str = "soap cutting") -> Run:
    """Create a run and drive its graph until it waits at the ideate gate (or ends).

    ``base_url`` is where our own webhook endpoint is reachable: riley's and alex's provider
    callbacks are POSTed there. It is kept in the run's payload, so a resume (a django-q2 task
    in another process) knows it too.
    """
    payload = {"pipeline": PIPELINE_KIND, "topic": topic, "base_url": base_url}
    run = run_create(project=project, payload=payload, actor=actor)
    start = {"run_id": run.run_id, "project": project, "topic": topic, "base_url": base_url}
    with _run_lock(run.run_id, wait_seconds=0) as acquired:
        if not acquired:  # a run created just now: nobody else can know it yet
            raise Conflict(f"Run {run.run_id} is already being advanced")
        _advance(run.run_id, start, actor)
    return run_get(run_id=run.run_id)


def pipeline_resume(*, run_id: str, actor: str, wait_seconds: float = 10.0) -> str:
    """Resume the run's graph at every interrupt whose gate has been decided; returns where it is.

    The claim is the run lock plus the interrupt itself: a second delivery of the same decision
    finds no pending interrupt with a closed gate and does nothing. A run the graph is already
    advancing (lock held) is left alone: that invocation checks the gates before it lets go.
    """
    with _run_lock(run_id, wait_seconds=wait_seconds) as acquired:
        if not acquired:
            return "busy: the graph is running; it picks the decision up itself"
        return _advance(run_id, None, actor)


def pipeline_is_demo_run(run: Run) -> bool:
    return isinstance(run.payload, dict) and run.payload.get("pipeline") == PIPELINE_KIND


def _advance(run_id: str, start: dict[str, Any] | None, actor: str) -> str:
    saver = DjangoCheckpointSaver()
    graph = build_graph(saver)
    config: RunnableConfig = {"configurable": {"thread_id": run_id}}
    try:
        if start is not None:
            graph.invoke(start, config, durability="sync")
        while resume := _decided_interrupts(graph.get_state(config).interrupts):
            graph.invoke(Command(resume=resume), config, durability="sync")
        snapshot = graph.get_state(config)
    except Exception as exc:
        logger.exception("Demo pipeline of run %s failed", run_id)
        _fail(run_id, f"pipeline error: {type(exc).__name__}: {exc}", actor)
        return f"failed: {exc}"
    finally:
        saver.close()
    if snapshot.interrupts:
        return f"waiting at the {snapshot.interrupts[0].value['gate']} gate"
    return str(snapshot.values.get("outcome", "ended"))


def _decided_interrupts(interrupts: Any) -> dict[str, Any]:
    """``{interrupt id: decision}`` for the interrupts whose gate is no longer open."""
    resume = {}
    for pending in interrupts:
        gate_request = GateRequest.objects.filter(pk=pending.value.get("gate_request_id")).first()
        if gate_request is not None and gate_request.status != GateStatus.OPEN:
            resume[pending.id] = gate_decision(gate_request)
    return resume


def _fail(run_id: str, reason: str, actor: str) -> None:
    with contextlib.suppress(Conflict):  # already ended (e.g. cancelled meanwhile)
        run_transition(run_id=run_id, to=RunStatus.FAILED, actor=actor, reason=reason[:500])


@contextmanager
def _run_lock(run_id: str, *, wait_seconds: float) -> Iterator[bool]:
    """Session advisory lock on the run (released if the process dies), and a per-process mark."""
    with _advancing_lock:
        if run_id in _advancing:
            yield False
            return
        _advancing.add(run_id)
    try:
        deadline = time.monotonic() + wait_seconds
        with connection.cursor() as cursor:
            while True:
                cursor.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", [RUN_LOCK_NAMESPACE, run_id])
                if cursor.fetchone()[0]:
                    break
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.1)
        try:
            yield True
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", [RUN_LOCK_NAMESPACE, run_id])
    finally:
        with _advancing_lock:
            _advancing.discard(run_id)
