"""Services of the LangGraph integration: the demo pipeline's start and resume, checkpoint retention.

The graph itself (personas, gates) is in ``pipeline.py``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from myloware.lib.errors import Conflict, InvalidInput, NotFound
from runs.langgraph.models import LangGraphCheckpoint
from runs.models import TERMINAL_STATUSES, GateRequest, GateStatus, Run, RunStatus, RunTransition
from runs.services import run_create, run_get, run_transition

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig

    from runs.langgraph.saver import DjangoCheckpointSaver

logger = logging.getLogger(__name__)

PIPELINE_KIND = "langgraph_demo"
# pg_advisory_lock(namespace, hashtext(run_id)): one graph invocation per run at a time.
RUN_LOCK_NAMESPACE = 7_240_001
_advancing: set[str] = set()  # runs this process is advancing right now
_advancing_lock = threading.Lock()


# --- demo pipeline -------------------------------------------------------------------------------

DEMO_KB = Path(__file__).resolve().parent / "demo_kb"


def pipeline_prepare(*, project: str, actor: str) -> list[str]:
    """What a demo run needs: the demo knowledge-base documents, a publishing account.

    Ingests ``runs/langgraph/demo_kb`` (idempotent by content hash) and, when the project has no
    primary account, creates a TikTok account ``demo-<project>`` without credentials (served by
    the fake upload-post client, DEBUG only). Returns what it did, for the command to print.
    """
    from knowledge.services import kb_ingest
    from socials.selectors import project_publish_target
    from socials.services import fake_publisher_allowed, project_social_link, social_create

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
    from langgraph.types import Command

    from runs.langgraph.pipeline import build_graph, gate_decision
    from runs.langgraph.saver import DjangoCheckpointSaver

    saver = DjangoCheckpointSaver()
    graph = build_graph(saver)
    config: RunnableConfig = {"configurable": {"thread_id": run_id}}
    try:
        if start is not None:
            graph.invoke(start, config, durability="sync")
        while resume := _decided_interrupts(graph.get_state(config).interrupts, gate_decision):
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


def _decided_interrupts(interrupts: Any, gate_decision: Any) -> dict[str, Any]:
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


# --- retention -------------------------------------------------------------------------------------


def checkpoints_prune_ended_runs(
    *, older_than_days: int, actor: str, batch: int = 200, max_batches: int = 50
) -> int:
    """Keep only the latest checkpoint of runs that ended more than ``older_than_days`` ago.

    A run "ended" when it moved to a terminal status (its transition log says when; runs
    without one fall back to ``updated_at``). Runs that are not terminal — in particular runs
    waiting at a gate — are never touched, and neither is any run with an open gate. Threads
    that use a LangGraph DeltaChannel are skipped (their latest value needs older checkpoints).
    Returns the number of runs pruned.
    """
    from runs.langgraph.saver import DjangoCheckpointSaver

    cutoff = timezone.now() - timedelta(days=older_than_days)
    saver = DjangoCheckpointSaver()
    pruned = 0
    try:
        for _ in range(max_batches):
            run_ids = list(_prunable_runs(cutoff)[:batch])
            if not run_ids:
                break
            done = _prune(saver, run_ids)
            pruned += done
            # A short batch was the last; a batch of only DeltaChannel runs would come back.
            if len(run_ids) < batch or not done:
                break
    finally:
        saver.close()
    if pruned:
        logger.info("%s pruned the checkpoints of %d runs that ended before %s", actor, pruned, cutoff)
    return pruned


def _prunable_runs(cutoff: datetime) -> QuerySet[Run, str]:
    ended = RunTransition.objects.filter(run=OuterRef("pk"), to_status__in=TERMINAL_STATUSES)
    return (
        Run.objects.filter(status__in=TERMINAL_STATUSES)
        .filter(Q(Exists(ended.filter(created_at__lt=cutoff))) | (~Exists(ended) & Q(updated_at__lt=cutoff)))
        .exclude(Exists(GateRequest.objects.filter(run=OuterRef("pk"), status=GateStatus.OPEN)))
        # Only threads with history left: keep_latest leaves one root checkpoint per namespace.
        .filter(
            Exists(
                LangGraphCheckpoint.objects.filter(
                    thread_id=OuterRef("pk"), parent_checkpoint_id__isnull=False
                )
            )
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _prune(saver: DjangoCheckpointSaver, run_ids: list[str]) -> int:
    try:
        saver.prune(run_ids, strategy="keep_latest")
        return len(run_ids)
    except NotImplementedError:
        pass
    # Some thread uses a DeltaChannel: prune the others one by one, skip (and report) those.
    done = 0
    for run_id in run_ids:
        try:
            saver.prune([run_id], strategy="keep_latest")
            done += 1
        except NotImplementedError:
            logger.warning("Not pruning the checkpoints of run %s: its graph uses a DeltaChannel", run_id)
    return done
