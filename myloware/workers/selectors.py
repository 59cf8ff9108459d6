"""Background work as django-q2's own tables tell it (one place for each fact: /healthz, the
``check_tasks`` probe and the metrics read these).

- Schedules (``django_q_schedule``): the scheduler, in the cluster's sentinel, turns a due
  schedule into a queued task and moves ``next_run`` on, whether or not any worker runs tasks.
- Finished tasks (``django_q_task``): the monitor saves every finished task, with its schedule's
  name as ``group`` (failures always; the last ``save_limit`` successes).
- The queue (``django_q_ormq``, the ORM broker): a row per task not yet acknowledged; ``lock`` is
  when it was queued, or until when a cluster has claimed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Min
from django_q.models import OrmQ, Schedule, Task

# django-q2's sentinel runs its scheduler every 30 s (and first 30 s after it starts): a due run
# is queued up to that much after its time, on time by its own rules.
SCHEDULER_CYCLE_SECONDS = 30


def schedule_lag_seconds(
    *, next_run: datetime, period: timedelta | None, last_run_started: datetime | None, now: datetime
) -> float:
    """How late a schedule's work is — *the* definition of schedule lag.

    A run should have started by ``next_run`` plus the scheduler's cycle (it has not been queued),
    and the one after the last run that finished by that run's start plus one ``period`` plus the
    cycle (no later run has finished since: queued behind a stalled worker pool, or lost). The lag
    is the time since the earlier of the two has passed; 0 while neither has. A healthy schedule
    shows 0, or its queueing and run time.
    """
    cycle = timedelta(seconds=SCHEDULER_CYCLE_SECONDS)
    overdue_since = next_run + cycle
    if period is not None and last_run_started is not None:
        overdue_since = min(overdue_since, last_run_started + period + cycle)
    return max(0.0, (now - overdue_since).total_seconds())


def _period(schedule: Schedule) -> timedelta | None:
    """The schedule's interval, as django-q2 computes it (none for one-off and cron schedules)."""
    if schedule.schedule_type in (Schedule.ONCE, Schedule.CRON):
        return None
    return schedule.calculate_next_run(schedule.next_run) - schedule.next_run


def schedule_lags(*, now: datetime) -> dict[str, float]:
    """``{schedule name: lag in seconds}`` for every schedule that still runs (repeats left)."""
    schedules = list(Schedule.objects.exclude(repeats=0).order_by("name"))
    started = dict(
        Task.objects.filter(group__in=[schedule.name for schedule in schedules])
        .order_by()
        .values_list("group")
        .annotate(last=Max("started"))
    )
    return {
        schedule.name: schedule_lag_seconds(
            next_run=schedule.next_run,
            period=_period(schedule),
            last_run_started=started.get(schedule.name),
            now=now,
        )
        for schedule in schedules
    }


@dataclass(frozen=True)
class TaskQueue:
    """Tasks waiting in the ORM broker (not claimed by a cluster, or their claim expired), the
    oldest one's queueing time, and the last time any task finished."""

    queued: int
    oldest_queued_at: datetime | None
    last_finished_at: datetime | None

    def stalled_seconds(self, now: datetime) -> float:
        """How long tasks have waited without the pool finishing any: the time since the later of
        the oldest waiting task's queueing and the last finished task; 0 when nothing waits."""
        if self.oldest_queued_at is None:
            return 0.0
        progress = max(self.oldest_queued_at, self.last_finished_at or self.oldest_queued_at)
        return max(0.0, (now - progress).total_seconds())


def task_queue(*, now: datetime) -> TaskQueue:
    waiting = OrmQ.objects.filter(lock__lte=now).aggregate(count=Count("pk"), oldest=Min("lock"))
    last_finished = Task.objects.aggregate(last=Max("stopped"))["last"]
    return TaskQueue(waiting["count"], waiting["oldest"], last_finished)


@dataclass(frozen=True)
class ClusterFacts:
    """What tells whether a django-q2 cluster does its work: the schedules' lags and the queue.
    /healthz names the part that stopped; ``check_tasks`` (a liveness probe) fails on either."""

    lags: dict[str, float]
    queue: TaskQueue
    now: datetime

    def late_schedules(self, limit: float) -> dict[str, float]:
        return {name: lag for name, lag in self.lags.items() if lag > limit}

    def stalled(self, limit: float) -> bool:
        return self.queue.stalled_seconds(self.now) > limit


def cluster_facts(*, now: datetime) -> ClusterFacts:
    return ClusterFacts(schedule_lags(now=now), task_queue(now=now), now)
