"""Retention: the one policy for every table that grows (docs/operations.md, Retention).

``RULES`` declares, per table, which rows are due (a selector of the app that owns the table) and
how they go (that app's service; tables of Django and of libraries are deleted here). One
mechanism applies every rule, from the daily schedule (``tasks.retention``) and from
``manage.py retention``:

- in batches of RETENTION_BATCH rows, one short transaction each: the batch is selected with
  ``FOR UPDATE SKIP LOCKED`` (a row another transaction holds — an event being reprocessed, a
  dead-letter entry being replayed — is skipped, never waited for) and removed in that
  transaction, so a failure leaves every batch whole or untouched;
- idempotent and resumable: a rule only ever selects rows still due, so a run cut short is
  finished by the next one;
- logged per table with counts only, never a row's content.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.models import AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.sessions.models import Session
from django.db import models, transaction
from django_q.models import Task

from myloware.lib.metrics import RETENTION_REMOVED
from runs import selectors as runs_selectors
from runs import services as runs_services
from webhooks import selectors as webhooks_selectors
from webhooks import services as webhooks_services

logger = logging.getLogger(__name__)

ACTOR = "system:retention"


class Action(models.TextChoices):
    DELETE = "delete", "rows deleted"
    EXPUNGE = "expunge", "bodies expunged"


@dataclass(frozen=True)
class Rule:
    """Rows of ``table`` older than ``setting`` days (a setting of None: older than now) go.

    ``due(cutoff)`` is the queryset of rows due; ``remove(ids, now)`` removes those still due
    among ``ids`` (locked by the caller) and returns how many went."""

    table: str
    action: Action
    setting: str | None
    due: Callable[[datetime], models.QuerySet[Any]]
    remove: Callable[[list[Any], datetime], int]

    def cutoff(self, now: datetime) -> datetime | None:
        """Rows before this are due; None when the rule is off (its setting is unset)."""
        if self.setting is None:
            return now
        days = getattr(settings, self.setting)
        return None if days is None else now - timedelta(days=days)


def _older_than(table: str, setting: str | None, model: type[models.Model], field: str) -> Rule:
    """A rule for a table no app of ours owns (Django's, django-q2's, django-axes'): its rows whose
    ``field`` is before the cutoff are deleted."""

    def remove(ids: list[Any], now: datetime) -> int:
        removed, _ = model._default_manager.filter(pk__in=ids).delete()
        return removed

    return Rule(
        table,
        Action.DELETE,
        setting,
        due=lambda cutoff: model._default_manager.filter(**{f"{field}__lt": cutoff}),
        remove=remove,
    )


RULES: tuple[Rule, ...] = (
    Rule(
        "webhook_events",
        Action.EXPUNGE,
        "RETENTION_WEBHOOK_BODIES_DAYS",
        due=lambda cutoff: webhooks_selectors.events_with_expirable_body(received_before=cutoff),
        remove=lambda ids, now: webhooks_services.webhook_events_expunge_bodies(event_ids=ids, now=now),
    ),
    Rule(
        "webhook_events",
        Action.DELETE,
        "RETENTION_REJECTED_EVENTS_DAYS",
        due=lambda cutoff: webhooks_selectors.rejected_events(received_before=cutoff),
        remove=lambda ids, now: webhooks_services.webhook_events_delete_rejected(event_ids=ids, actor=ACTOR),
    ),
    Rule(
        "webhook_dlq",
        Action.DELETE,
        "RETENTION_DLQ_DEAD_DAYS",
        due=lambda cutoff: webhooks_selectors.dlq_dead_entries(dead_before=cutoff),
        remove=lambda ids, now: webhooks_services.dlq_remove_dead(entry_ids=ids),
    ),
    Rule(
        "runs",
        Action.DELETE,
        "RETENTION_RUNS_DAYS",
        due=lambda cutoff: runs_selectors.runs_past_retention(ended_before=cutoff),
        remove=lambda ids, now: runs_services.runs_remove(run_ids=ids),
    ),
    _older_than("django_q_task", "RETENTION_TASKS_DAYS", Task, "stopped"),
    _older_than("django_session", None, Session, "expire_date"),
    _older_than("django_admin_log", "RETENTION_ADMIN_LOG_DAYS", LogEntry, "action_time"),
    _older_than("axes_accesslog", "RETENTION_LOGIN_LOG_DAYS", AccessLog, "attempt_time"),
    _older_than("axes_accessfailurelog", "RETENTION_LOGIN_LOG_DAYS", AccessFailureLog, "attempt_time"),
)


@dataclass(frozen=True)
class TableResult:
    """What one rule did (``apply``) or would do (a dry run): ``count`` rows, in ``batches``, the
    longest of which held its row locks ``longest_batch`` seconds; ``off`` when its setting is
    unset, ``incomplete`` when the run's time ran out first."""

    table: str
    action: Action
    setting: str | None
    count: int
    applied: bool
    off: bool = False
    incomplete: bool = False
    batches: int = 0
    longest_batch: float = 0.0

    def summary(self) -> str:
        what = f"{self.table} ({Action(self.action).label.split()[0]})"
        if self.off:
            return f"{what}: kept ({self.setting} is unset)"
        verb = Action(self.action).label.split()[1] if self.applied else "would go"
        rest = ", stopped for time (the rest next run)" if self.incomplete else ""
        return f"{what}: {self.count} {verb}{rest}"


def retention_run(
    *,
    now: datetime,
    apply: bool,
    batch: int | None = None,
    deadline: float | None = None,
    rules: Sequence[Rule] = RULES,
) -> list[TableResult]:
    """Apply every rule (``apply``), or count what each would remove (a dry run). ``deadline``
    (``time.monotonic()``): no batch starts after it."""
    results = []
    for rule in rules:
        cutoff = rule.cutoff(now)
        if cutoff is None:
            result = TableResult(rule.table, rule.action, rule.setting, 0, apply, off=True)
        elif not apply:
            result = TableResult(rule.table, rule.action, rule.setting, rule.due(cutoff).count(), False)
        else:
            result = _apply(rule, cutoff, now=now, batch=batch or settings.RETENTION_BATCH, deadline=deadline)
        _record(result)
        results.append(result)
    return results


def _apply(rule: Rule, cutoff: datetime, *, now: datetime, batch: int, deadline: float | None) -> TableResult:
    removed = batches = 0
    longest = 0.0
    while True:
        if deadline is not None and time.monotonic() > deadline:
            return TableResult(
                rule.table,
                rule.action,
                rule.setting,
                removed,
                True,
                incomplete=True,
                batches=batches,
                longest_batch=longest,
            )
        began = time.monotonic()
        with transaction.atomic():
            ids = list(
                rule.due(cutoff)
                .select_for_update(skip_locked=True, of=("self",))
                .values_list("pk", flat=True)[:batch]
            )
            done = rule.remove(ids, now) if ids else 0
        longest = max(longest, time.monotonic() - began)
        removed += done
        batches += bool(ids)
        # A short batch was the last; a batch of which nothing went (rows that stopped being due
        # between the select and the removal) ends the run rather than select them again.
        if len(ids) < batch or not done:
            return TableResult(
                rule.table, rule.action, rule.setting, removed, True, batches=batches, longest_batch=longest
            )


def _record(result: TableResult) -> None:
    """One log line per table and run (counts only) and the removal counter; each batch has
    committed by now."""
    if result.applied and not result.off:
        RETENTION_REMOVED.labels(table=result.table, action=Action(result.action).value).inc(result.count)
        logger.info(
            "retention: %s in %d batches (longest %.3f s)",
            result.summary(),
            result.batches,
            result.longest_batch,
        )
