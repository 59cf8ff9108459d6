"""Non-trivial reads of the runs app: gate policy, gate state, content hashes, stats, timeline."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import connection
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import TruncDay
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from artifacts.models import Artifact, ArtifactType, artifacts_counted
from myloware.api.request import is_api_actor, operator_username
from runs.enums import DECISION_NOUNS
from runs.langgraph.models import LangGraphCheckpoint
from runs.models import (
    TERMINAL_STATUSES,
    Gate,
    GatePolicy,
    GateRequest,
    GateStatus,
    HitlApproval,
    HitlDecision,
    OrchestrationCheckpoint,
    Run,
    RunStatus,
    RunStatusCount,
    RunTransition,
)
from webhooks.models import WebhookEvent


@dataclass(frozen=True)
class GatePolicyValues:
    enabled: bool
    deadline_hours: float
    required_approvals: int
    allow_self_approval: bool
    approve_to: str
    source: str  # "settings" or "policy:<project>"
    # Who is told (a policy's empty list: the environment's) and who may decide (none: anyone).
    notify_emails: list[str]
    notify_webhook_urls: list[str]
    escalate_emails: list[str]
    approver_user_ids: list[int]
    approver_group_ids: list[int]


def gate_policy_for(*, project: str, gate: str) -> GatePolicyValues:
    """The policy in force: a row for (project, gate), else a row for (*, gate), else settings."""
    rows = {
        row.project: row
        for row in GatePolicy.objects.filter(
            gate=gate, project__in=[project, GatePolicy.ANY_PROJECT]
        ).prefetch_related("approver_users", "approver_groups")
    }
    row = rows.get(project) or rows.get(GatePolicy.ANY_PROJECT)
    if row is not None:
        return GatePolicyValues(
            enabled=row.enabled,
            deadline_hours=row.deadline_hours,
            required_approvals=row.required_approvals,
            allow_self_approval=row.allow_self_approval,
            approve_to=row.approve_to,
            source=f"policy:{row.project}",
            notify_emails=row.notify_emails or list(settings.GATE_NOTIFY_EMAILS),
            notify_webhook_urls=row.notify_webhook_urls or list(settings.GATE_NOTIFY_WEBHOOK_URLS),
            escalate_emails=row.escalate_emails or list(settings.GATE_ESCALATE_EMAILS),
            approver_user_ids=[user.pk for user in row.approver_users.all()],
            approver_group_ids=[group.pk for group in row.approver_groups.all()],
        )
    return GatePolicyValues(
        enabled=gate not in settings.GATE_DISABLED,
        deadline_hours=settings.GATE_DEADLINE_HOURS.get(gate, 72.0),
        required_approvals=settings.GATE_REQUIRED_APPROVALS,
        allow_self_approval=settings.GATE_ALLOW_SELF_APPROVAL,
        approve_to=settings.GATE_APPROVE_TO,
        source="settings",
        notify_emails=list(settings.GATE_NOTIFY_EMAILS),
        notify_webhook_urls=list(settings.GATE_NOTIFY_WEBHOOK_URLS),
        escalate_emails=list(settings.GATE_ESCALATE_EMAILS),
        approver_user_ids=[],
        approver_group_ids=[],
    )


def _assigned(user_ids: list[int], group_ids: list[int]) -> QuerySet[User]:
    return User.objects.filter(is_active=True).filter(Q(pk__in=user_ids) | Q(groups__in=group_ids)).distinct()


def approver_emails(*, user_ids: list[int], group_ids: list[int]) -> list[str]:
    """The e-mail addresses of the assigned approvers (users and members of the groups)."""
    emails = _assigned(user_ids, group_ids).exclude(email="").values_list("email", flat=True)
    return sorted(set(emails))


def gate_is_assigned(gate_request: GateRequest) -> bool:
    return bool(gate_request.approver_user_ids or gate_request.approver_group_ids)


def gate_may_decide(*, gate_request: GateRequest, actor: str) -> bool:
    """Whether ``actor`` may decide the gate: any operator when nobody is assigned, else an
    assigned user or a member of an assigned group. API keys keep their own rule (the
    ``gates:decide`` scope); other actors may not decide an assigned gate."""
    if not gate_is_assigned(gate_request) or is_api_actor(actor):
        return True
    username = operator_username(actor)
    assigned = _assigned(gate_request.approver_user_ids, gate_request.approver_group_ids)
    return username is not None and assigned.filter(username=username).exists()


def gate_assignees(*, gate_request: GateRequest) -> list[str]:
    """Who may decide, as the pages and messages name them: usernames, then groups."""
    users = User.objects.filter(pk__in=gate_request.approver_user_ids).order_by("username")
    groups = Group.objects.filter(pk__in=gate_request.approver_group_ids).order_by("name")
    return [user.get_username() for user in users] + [f"group {group.name}" for group in groups]


def gate_under_review(*, gate_request: GateRequest) -> str:
    """The artifacts under review counted by type, types in the order the gate lists them ("3 ideas,
    1 citation list"), for the queue and messages."""
    rows = Artifact.objects.filter(id__in=gate_request.artifact_ids).values_list("id", "type")
    types = {str(pk): kind for pk, kind in rows}
    counts = Counter(types[pk] for pk in gate_request.artifact_ids if pk in types)
    return ", ".join(artifacts_counted(kind, n) for kind, n in counts.items()) or "no artifacts"


def runs_list(
    *,
    project: str | None = None,
    statuses: list[str] | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> QuerySet[Run]:
    """The runs list's rows (the columns the list shows), filtered on every criterion given;
    ``created_after`` is inclusive, ``created_before`` exclusive."""
    runs = Run.objects.only("run_id", "project", "status", "created_at", "updated_at")
    if project:
        runs = runs.filter(project=project)
    if statuses is not None:
        runs = runs.filter(status__in=statuses)
    if created_after is not None:
        runs = runs.filter(created_at__gte=created_after)
    if created_before is not None:
        runs = runs.filter(created_at__lt=created_before)
    return runs


def project_has_runs(*, project: str) -> bool:
    return Run.objects.filter(project=project).exists()


def run_transitions(*, run_id: str) -> QuerySet[RunTransition]:
    return RunTransition.objects.filter(run_id=run_id).order_by("created_at", "id")


def run_gates(*, run_id: str) -> QuerySet[GateRequest]:
    """Gates opened on the run with their decisions (the page orders them, oldest first)."""
    return GateRequest.objects.filter(run_id=run_id).prefetch_related("approvals", "notifications")


def gate_latest(*, run_id: str, gate: str) -> GateRequest | None:
    return GateRequest.objects.filter(run_id=run_id, gate=gate).order_by("-opened_at", "-id").first()


def gate_is_approved(*, run_id: str, gate: str) -> bool:
    """Whether the latest ``gate`` opened on the run was approved (False when never opened)."""
    latest = gate_latest(run_id=run_id, gate=gate)
    return latest is not None and latest.status == GateStatus.APPROVED


def run_open_gate(*, run_id: str) -> GateRequest | None:
    return GateRequest.objects.open().filter(run_id=run_id).order_by("opened_at").first()


def run_creator(*, run_id: str) -> str | None:
    """Who created the run: the actor of its creation row in the transition log."""
    row = RunTransition.objects.filter(run_id=run_id, from_status="").order_by("created_at", "id").first()
    return row.actor if row else None


def artifacts_content_hash(artifact_ids: list[str]) -> str:
    """SHA-256 over what an approver sees of the artifacts under review.

    A deleted artifact counts as a change (it is hashed as missing), so approval is bound to
    exactly the content that was shown.
    """
    fields = ("id", "type", "provider", "url", "checksum", "persona", "retrieval_trace", "metadata")
    rows = {str(row["id"]): row for row in Artifact.objects.filter(id__in=artifact_ids).values(*fields)}
    doc = [rows.get(str(i)) or {"id": str(i), "missing": True} for i in sorted(map(str, artifact_ids))]
    encoded = json.dumps(doc, sort_keys=True, default=str, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


def gate_approvers(*, gate_request: GateRequest) -> list[str]:
    """Distinct approvers whose approval is bound to the gate's current content."""
    rows = gate_request.approvals.filter(decision=HitlDecision.APPROVE).order_by("id")
    seen: list[str] = []
    for row in rows:
        if row.metadata.get("content_hash") == gate_request.content_hash and row.approver not in seen:
            seen.append(row.approver or "")
    return seen


def pending_gates() -> Any:
    """Open gates, oldest first (the approvals queue)."""
    return GateRequest.objects.open().select_related("run").order_by("opened_at", "id")


@dataclass(frozen=True)
class QueueSummary:
    count: int
    overdue: int
    signature: str  # changes whenever a gate joins or leaves the queue


def approval_queue_summary(*, now: datetime) -> QueueSummary:
    """The header badge and the queue's live refresh: two counts on partial indexes of open gates."""
    open_gates = GateRequest.objects.open()
    stats = open_gates.aggregate(count=Count("id"), newest=Max("id"))
    overdue = open_gates.filter(deadline_at__lte=now).count()
    return QueueSummary(stats["count"], overdue, f"{stats['count']}-{stats['newest'] or 0}")


def gate_ideas(*, gate_request: GateRequest) -> list[str]:
    """The ids of the idea artifacts under review at a gate, in the order the gate lists them
    (iggy lists its best idea first)."""
    ideas = Artifact.objects.filter(id__in=gate_request.artifact_ids, type=ArtifactType.IDEA)
    found = {str(pk) for pk in ideas.values_list("id", flat=True)}
    return [artifact_id for artifact_id in gate_request.artifact_ids if artifact_id in found]


def chosen_idea(*, run_id: str) -> str | None:
    """The text of the idea the run went ahead with: the one chosen at its latest approved ideate
    gate (what prepublish builds on); None when no ideate gate was approved, or it had no idea."""
    gate = (
        GateRequest.objects.filter(run_id=run_id, gate=Gate.IDEATE, status=GateStatus.APPROVED)
        .order_by("-decided_at")
        .first()
    )
    if gate is None or gate.chosen_idea_id is None:
        return None
    idea = Artifact.objects.filter(pk=gate.chosen_idea_id).only("metadata").first()
    metadata = idea.metadata if idea is not None and isinstance(idea.metadata, dict) else {}
    text = metadata.get("text") or metadata.get("idea")
    return text if isinstance(text, str) else None


def run_stats(*, project: str | None = None, since: datetime | None = None) -> dict[str, int]:
    """The seed's ``SELECT status, COUNT(*) FROM runs GROUP BY status``, optionally narrowed."""
    qs = Run.objects.all()
    if project:
        qs = qs.filter(project=project)
    if since:
        qs = qs.filter(created_at__gte=since)
    counts = {status: 0 for status in RunStatus.values}
    for row in qs.order_by().values("status").annotate(n=Count("*")):
        counts[row["status"]] = row["n"]
    return counts


def dashboard_summary(*, now: datetime | None = None, failed_limit: int = 10) -> dict[str, Any]:
    """What the admin index shows at a glance."""
    now = now or timezone.now()
    since = now - timedelta(hours=24)
    queue = list(pending_gates()[:10])
    return {
        "pending_count": GateRequest.objects.open().count(),
        "pending": queue,
        "overdue_count": GateRequest.objects.open().filter(deadline_at__lte=now).count(),
        "by_status_24h": run_stats(since=since),
        "failed": list(
            Run.objects.failed().filter(updated_at__gte=since).order_by("-updated_at")[:failed_limit]
        ),
        "now": now,
    }


def run_timeline(*, run_id: str, limit_per_source: int = 5000) -> list[dict[str, Any]]:
    """Everything that happened to a run, oldest first: transitions, artifacts, gates and their
    decisions, webhook events naming the run, and the latest checkpoint write."""
    events: list[dict[str, Any]] = []
    for t in RunTransition.objects.filter(run_id=run_id).order_by("created_at", "id")[:limit_per_source]:
        label = f"created as {t.to_status}" if not t.from_status else f"{t.from_status} → {t.to_status}"
        events.append(_event(t.created_at, "transition", label, t.actor, {"reason": t.reason}))
    artifacts = Artifact.objects.filter(run_id=run_id).order_by("created_at", "id")[:limit_per_source]
    for a in artifacts.values("id", "type", "persona", "provider", "url", "created_at"):
        details: dict[str, Any] = {"artifact_id": str(a["id"]), "url": a["url"], "provider": a["provider"]}
        events.append(_event(a["created_at"], "artifact", a["type"], a["persona"] or "", details))
    for g in GateRequest.objects.filter(run_id=run_id).order_by("opened_at"):
        details = {"gate_request_id": g.pk, "deadline_at": g.deadline_at.isoformat()}
        events.append(_event(g.opened_at, "gate.opened", f"{g.gate} gate opened", g.opened_by, details))
        if g.decided_at:
            details = {"gate_request_id": g.pk, "comment": g.decision_comment}
            events.append(
                _event(g.decided_at, "gate.closed", f"{g.gate} gate {g.status}", g.decided_by, details)
            )
    for h in HitlApproval.objects.filter(run_id=run_id).order_by("created_at", "id")[:limit_per_source]:
        details = {"comment": h.comment, "approver_ip": h.approver_ip}
        label = f"{DECISION_NOUNS.get(h.decision, h.decision)} of the {h.gate} gate"
        events.append(_event(h.created_at, "decision", label, h.approver or "", details))
    events.extend(_webhook_events(run_id, limit_per_source))
    events.extend(_graph_checkpoints(run_id, limit_per_source))
    checkpoint = OrchestrationCheckpoint.objects.filter(run_id=run_id).first()
    if checkpoint:
        label = f"checkpoint saved (version {checkpoint.version})"
        events.append(_event(checkpoint.updated_at, "checkpoint", label, "", {"version": checkpoint.version}))
    events.sort(key=lambda e: e["at"])
    for e in events:
        e["at"] = e["at"].isoformat()
    return events


# The pipeline's stages in order (PRODUCT: iggy ideates, riley produces clips, alex edits and
# renders, quinn publishes), with the two content gates between them.
PIPELINE_STAGES: tuple[tuple[str, str], ...] = (
    ("iggy", "persona"),
    (Gate.IDEATE, "gate"),
    ("riley", "persona"),
    ("alex", "persona"),
    (Gate.PREPUBLISH, "gate"),
    ("quinn", "persona"),
)


def run_stages(*, run_id: str, now: datetime) -> list[dict[str, Any]]:
    """The run page's stage strip: each stage's state and time spent.

    A persona's stage runs from the end of the previous stage to its last artifact (quinn's to
    the run's publication); a gate's from its opening to its decision. The first unfinished stage
    of a live run is ``current`` (its time still counting); of an ended run, where it stopped.
    """
    run = Run.objects.get(run_id=run_id)
    last_by_persona: dict[str, datetime] = {
        persona: last
        for persona, last in Artifact.objects.filter(run_id=run_id, persona__isnull=False)
        .order_by()
        .values("persona")
        .annotate(last=Max("created_at"))
        .values_list("persona", "last")
        if persona
    }
    gates = {g.gate: g for g in GateRequest.objects.filter(run_id=run_id).order_by("opened_at", "id")}
    if run.status == RunStatus.PUBLISHED:
        last_by_persona["quinn"] = run.updated_at
    stages: list[dict[str, Any]] = []
    cursor: datetime | None = run.created_at
    blocked = False
    for name, kind in PIPELINE_STAGES:
        start, end, state = _stage_bounds(name, kind, cursor, gates, last_by_persona)
        if blocked:
            start = end = None
            state = "not reached"
        elif end is None:
            blocked = True
            if state == "pending":
                state = "current" if not run.is_terminal else f"stopped ({run.status})"
        stages.append(
            _stage(name, kind, state, start, end if end else (now if not run.is_terminal else None))
        )
        blocked = blocked or state not in ("done", "current")  # a rejected or expired gate ends it
        cursor = end or cursor
    return stages


def _stage_bounds(
    name: str,
    kind: str,
    cursor: datetime | None,
    gates: dict[str, GateRequest],
    last_by_persona: dict[str, datetime],
) -> tuple[datetime | None, datetime | None, str]:
    if kind == "gate":
        gate = gates.get(name)
        if gate is None:
            return cursor, None, "pending"
        if gate.is_open:
            return gate.opened_at, None, "current"
        state = "done" if gate.status == GateStatus.APPROVED else gate.status
        return gate.opened_at, gate.decided_at, state
    end = last_by_persona.get(name)
    return cursor, end, "done" if end else "pending"


def _stage(name: str, kind: str, state: str, start: datetime | None, end: datetime | None) -> dict[str, Any]:
    seconds = (end - start).total_seconds() if start and end else None
    return {
        "name": name,
        "kind": kind,
        "state": state,
        "seconds": seconds,
        "duration_display": duration_display(seconds) if seconds is not None else "",
        "title": f"{name} ({kind}): {state}",
    }


def duration_display(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    return f"{hours // 24} d {hours % 24} h"


def _webhook_events(run_id: str, limit: int) -> list[dict[str, Any]]:
    # Read-only look at the webhooks app's table (it records the run it concerns).
    rows = WebhookEvent.objects.filter(run_id=run_id).order_by("received_at")[:limit]
    return [
        _event(
            row["received_at"],
            "webhook",
            f"{row['provider']} webhook ({row['status']})",
            row["provider"],
            {"event_id": str(row["id"]), "signature_status": row["signature_status"], "error": row["error"]},
        )
        for row in rows.values("id", "provider", "status", "signature_status", "received_at", "error")
    ]


def _graph_checkpoints(run_id: str, limit: int) -> list[dict[str, Any]]:
    """LangGraph checkpoint writes of the run's thread (runs.langgraph), read-only: only their
    timestamp, step and source, never the state itself."""
    rows = (
        LangGraphCheckpoint.objects.filter(thread_id=run_id)
        .annotate(ts=KeyTextTransform("ts", "checkpoint"))
        .values("checkpoint_ns", "checkpoint_id", "ts", "metadata__step", "metadata__source")
        .order_by("checkpoint_id")[:limit]
    )
    events = []
    for row in rows:
        at = parse_datetime(row["ts"] or "")
        if at is None:
            continue
        label = f"graph checkpoint (step {row['metadata__step']}, {row['metadata__source'] or '?'})"
        details = {"checkpoint_id": row["checkpoint_id"], "checkpoint_ns": row["checkpoint_ns"]}
        events.append(_event(at, "checkpoint", label, "langgraph", details))
    return events


def _event(at: datetime, kind: str, summary: str, actor: str, details: dict[str, Any]) -> dict[str, Any]:
    return {"at": at, "kind": kind, "summary": summary, "actor": actor, "details": details}


def checkpoint_version(*, run_id: str) -> int | None:
    return OrchestrationCheckpoint.objects.filter(run_id=run_id).values_list("version", flat=True).first()


# --- dashboard ------------------------------------------------------------------------------
# Every query reads a time range through an index (runs_created_at_idx, the partial indexes of
# run_transitions.published and gate_requests.decided_at): cost follows the window, not the table.


def runs_by_status_per_day(*, now: datetime, days: int = 14) -> list[dict[str, Any]]:
    """``[{"day": date, "status": ..., "n": ...}]`` for runs created in the last ``days`` days."""
    since = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = (
        Run.objects.filter(created_at__gte=since)
        .annotate(day=TruncDay("created_at"))
        .order_by()
        .values("day", "status")
        .annotate(n=Count("*"))
    )
    return [{"day": row["day"].date(), "status": row["status"], "n": row["n"]} for row in rows]


_GATE_WAIT_SQL = """
WITH waits AS (
    SELECT gate, EXTRACT(EPOCH FROM decided_at - opened_at) AS seconds
    FROM gate_requests WHERE decided_at >= %(since)s
    UNION ALL
    SELECT gate, EXTRACT(EPOCH FROM %(now)s - opened_at) FROM gate_requests WHERE status = 'open'
)
SELECT gate, percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY seconds), count(*)
FROM waits GROUP BY gate
"""


def gate_wait_stats(*, now: datetime, days: int = 7) -> dict[str, dict[str, Any]]:
    """Per gate: median and p90 of the waiting time of gates decided in the window, and of the
    gates still open (their waiting so far), with the count."""
    with connection.cursor() as cursor:
        cursor.execute(_GATE_WAIT_SQL, {"since": now - timedelta(days=days), "now": now})
        rows = cursor.fetchall()
    return {
        gate: {"median": float(median), "p90": float(p90), "count": count}
        for gate, median, p90, count in rows
    }


# The latest publications of the window (run_transitions_published_idx, newest first), each run
# looked up by its key: "OFFSET 0" keeps the lookup a nested loop, so the cost is the sample's,
# where a hash join would scan the whole runs table.
_TIME_TO_PUBLISH_SQL = """
WITH recent AS (
    SELECT run_id, created_at FROM run_transitions
    WHERE to_status = 'published' AND created_at >= %(since)s
    ORDER BY created_at DESC LIMIT %(sample)s
)
SELECT r.project, percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM t.created_at - r.created_at)),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM t.created_at - r.created_at)), count(*)
FROM recent t CROSS JOIN LATERAL (SELECT project, created_at FROM runs WHERE runs.run_id = t.run_id OFFSET 0) r
GROUP BY r.project ORDER BY count(*) DESC, r.project LIMIT %(limit)s
"""
PUBLISH_SAMPLE = 5000


def time_to_publish(*, now: datetime, days: int = 30, limit: int = 6) -> list[dict[str, Any]]:
    """Per project (the busiest first): median and p90 from a run's creation to its publication,
    over the window's latest PUBLISH_SAMPLE publications (a bounded cost at any volume)."""
    params: dict[str, datetime | int] = {
        "since": now - timedelta(days=days),
        "limit": limit,
        "sample": PUBLISH_SAMPLE,
    }
    with connection.cursor() as cursor:
        cursor.execute(_TIME_TO_PUBLISH_SQL, params)
        rows = cursor.fetchall()
    return [
        {"project": project, "median": float(median), "p90": float(p90), "count": count}
        for project, median, p90, count in rows
    ]


def runs_per_project_and_status() -> list[tuple[str, str, int]]:
    """``(project, status, runs)`` for every pair that has runs (the gauge ``myloware_runs``):
    the sums of ``run_status_counts``, exactly what a GROUP BY over ``runs`` would count."""
    rows = (
        RunStatusCount.objects.order_by("project", "status")
        .values_list("project", "status")
        .annotate(n=Sum("runs"))
        .exclude(n=0)
    )
    return [(project, status, n) for project, status, n in rows]


@dataclass(frozen=True)
class OpenGates:
    """The open gates of one gate name: how many, the oldest one's opening, and the largest share
    of its time to the deadline any of them has used (0.8: 80 % of the way to its deadline)."""

    gate: str
    count: int
    oldest_opened_at: datetime
    deadline_used: float


_OPEN_GATES_SQL = """
SELECT gate, count(*), min(opened_at),
       max(extract(epoch FROM %s - opened_at) / greatest(extract(epoch FROM deadline_at - opened_at), 1))
FROM gate_requests WHERE status = %s GROUP BY gate ORDER BY gate
"""


def open_gates(*, now: datetime) -> list[OpenGates]:
    """Per gate name with open gates (the gauges ``myloware_gates_open``,
    ``myloware_gate_oldest_open_seconds``, ``myloware_gate_deadline_used_ratio``); read through
    the partial index of open gates."""
    with connection.cursor() as cursor:
        cursor.execute(_OPEN_GATES_SQL, [now, GateStatus.OPEN.value])
        return [
            OpenGates(gate, count, oldest, float(used)) for gate, count, oldest, used in cursor.fetchall()
        ]


def runs_past_retention(*, ended_before: datetime) -> QuerySet[Run]:
    """Runs that ended (a terminal status, last changed before the cutoff) and are not on legal
    hold: retention removes them with everything under them (RETENTION_RUNS_DAYS)."""
    return Run.objects.filter(status__in=TERMINAL_STATUSES, updated_at__lt=ended_before, held=False)
