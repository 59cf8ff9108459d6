"""Services of the LangGraph integration: checkpoint retention.

The demo pipeline that runs on this checkpointer is the ``myloware.demo`` app.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from runs.langgraph.models import LangGraphCheckpoint
from runs.models import TERMINAL_STATUSES, GateRequest, GateStatus, Run, RunTransition

if TYPE_CHECKING:
    from runs.langgraph.saver import DjangoCheckpointSaver

logger = logging.getLogger(__name__)


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
