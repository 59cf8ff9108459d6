"""The console's operations dashboard: the selectors' counts drawn as SVG charts whose bars link
to the filtered admin lists behind them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from myloware.charts import Bar, Range, Series, legend, range_bars, stacked_bars
from runs import selectors as runs_selectors
from runs.models import Gate, RunStatus
from webhooks import selectors as webhooks_selectors

STATUS_COLOURS = {
    RunStatus.PENDING_WORKFLOW: "#90a4ae",
    RunStatus.PENDING: "#b0bec5",
    RunStatus.RUNNING: "#42a5f5",
    RunStatus.AWAITING_APPROVAL: "#f6c343",
    RunStatus.PUBLISHED: "#2e7d32",
    RunStatus.FAILED: "#c62828",
    RunStatus.REJECTED: "#8e24aa",
    RunStatus.CANCELLED: "#616161",
}
OUTCOME_SERIES = [
    Series("ok", "#2e7d32"),
    Series("pending", "#90a4ae"),
    Series("failed", "#c62828"),
    Series("rejected", "#8e24aa"),
]
# The event list's filter for each outcome (rejected = failed verification).
OUTCOME_FILTERS = {
    "ok": {"status__in": "processed,ignored"},
    "pending": {"status__exact": "received"},
    "failed": {"status__exact": "failed"},
    "rejected": {"status__exact": "rejected"},
}


def _url(name: str, **params: Any) -> str:
    return reverse(name) + ("?" + urlencode(params) if params else "")


def _iso(moment: datetime) -> str:
    """Aware ISO 8601 (with the offset), as the admin's date filters parse it."""
    return moment.isoformat()


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def runs_chart(*, now: datetime, days: int = 14) -> dict[str, Any]:
    rows = runs_selectors.runs_by_status_per_day(now=now, days=days)
    first = (now - timedelta(days=days - 1)).date()
    by_day: dict[Any, dict[str, float]] = {first + timedelta(days=i): {} for i in range(days)}
    for row in rows:
        by_day.setdefault(row["day"], {})[row["status"]] = row["n"]
    series = [Series(status, colour) for status, colour in STATUS_COLOURS.items()]
    bars = []
    for day, values in sorted(by_day.items()):
        window = {
            "created_at__gte": _iso(_midnight(day)),
            "created_at__lt": _iso(_midnight(day + timedelta(days=1))),
        }
        links = {s.name: _url("admin:runs_run_changelist", status__exact=s.name, **window) for s in series}
        bars.append(Bar(day.strftime("%m-%d"), values, links, title=day.isoformat()))
    return {
        "svg": stacked_bars(bars, series, label_every=2),
        "legend": legend([s for s in series if any(s.name in b.values for b in bars)]),
        "total": sum(sum(b.values.values()) for b in bars),
        "list_url": _url("admin:runs_run_changelist", created_at__gte=_iso(_midnight(first))),
    }


def deliveries_charts(*, now: datetime, hours: int = 24) -> list[dict[str, Any]]:
    rows = webhooks_selectors.deliveries_per_hour(now=now, hours=hours)
    start = (now - timedelta(hours=hours - 1)).replace(minute=0, second=0, microsecond=0)
    hours_list = [start + timedelta(hours=i) for i in range(hours)]
    providers = sorted({row["provider"] for row in rows})
    charts = []
    for provider in providers:
        counts: dict[datetime, dict[str, float]] = {hour: {} for hour in hours_list}
        for row in rows:
            if row["provider"] == provider and row["hour"] in counts:
                values = counts[row["hour"]]
                values[row["outcome"]] = values.get(row["outcome"], 0) + row["n"]
        bars = []
        for hour, values in counts.items():
            window = {"received_at__gte": _iso(hour), "received_at__lt": _iso(hour + timedelta(hours=1))}
            links = {
                outcome: _url(
                    "admin:webhooks_webhookevent_changelist", provider=provider, **window, **filters
                )
                for outcome, filters in OUTCOME_FILTERS.items()
            }
            bars.append(Bar(hour.strftime("%H:00"), values, links, title=f"{provider} {hour:%Y-%m-%d %H:00}"))
        totals = {s.name: sum(b.values.get(s.name, 0) for b in bars) for s in OUTCOME_SERIES}
        charts.append(
            {
                "provider": provider,
                "svg": stacked_bars(bars, OUTCOME_SERIES, label_every=4),
                "totals": totals,
                "list_url": _url(
                    "admin:webhooks_webhookevent_changelist", provider=provider, received_at__gte=_iso(start)
                ),
            }
        )
    return charts


def dlq_chart(*, now: datetime) -> dict[str, Any]:
    depth = webhooks_selectors.dlq_depth(now=now)
    series = [Series("due", "#f6c343"), Series("waiting", "#90a4ae"), Series("dead", "#c62828")]
    bars = [
        Bar(
            row["provider"],
            {"due": row["due"], "waiting": row["waiting"], "dead": row["dead"]},
            {
                state: _url("admin:webhooks_webhookdlq_changelist", provider=row["provider"], state=state)
                for state in ("due", "waiting", "dead")
            },
        )
        for row in depth["providers"]
    ]
    return {
        **depth,
        "svg": stacked_bars(bars, series) if bars else None,
        "legend": legend(series),
        "list_url": _url("admin:webhooks_webhookdlq_changelist"),
    }


def gates_chart(*, now: datetime, days: int = 7) -> dict[str, Any]:
    stats = runs_selectors.gate_wait_stats(now=now, days=days)
    rows = [
        Range(
            gate,
            stats.get(gate, {}).get("median"),
            stats.get(gate, {}).get("p90"),
            stats.get(gate, {}).get("count", 0),
            _url("admin:runs_gaterequest_changelist", gate__exact=gate),
        )
        for gate in Gate.values
    ]
    return {"svg": range_bars(rows), "days": days}


def publish_chart(*, now: datetime, days: int = 30) -> dict[str, Any]:
    rows = runs_selectors.time_to_publish(now=now, days=days)
    since = _iso(now - timedelta(days=days))
    ranges = [
        Range(
            row["project"],
            row["median"],
            row["p90"],
            row["count"],
            _url(
                "admin:runs_run_changelist",
                status__exact=RunStatus.PUBLISHED,
                project=row["project"],
                updated_at__gte=since,
            ),
        )
        for row in rows
    ]
    return {
        "svg": range_bars(ranges) if ranges else None,
        "days": days,
        "sample": runs_selectors.PUBLISH_SAMPLE,
    }


def operations_dashboard(*, now: datetime) -> dict[str, Any]:
    return {
        "runs": runs_chart(now=now),
        "deliveries": deliveries_charts(now=now),
        "dlq": dlq_chart(now=now),
        "gates": gates_chart(now=now),
        "publish": publish_chart(now=now),
    }
