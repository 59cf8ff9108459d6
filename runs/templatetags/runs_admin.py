"""Template helpers of the operators' console: artifacts shown as a person wants to see them,
and the admin index dashboard."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from artifacts.models import ArtifactType
from myloware.admin_utils import when as _when
from myloware.dashboard import operations_dashboard
from runs import selectors

register = template.Library()

VIDEO_SUFFIXES = (".mp4", ".webm", ".mov", ".m4v", ".ogv")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif")
VIDEO_TYPES = {ArtifactType.CLIP, ArtifactType.RENDER, ArtifactType.RENDER_URL, ArtifactType.VIDEO}
TEXT_KEYS = ("text", "idea", "script", "title", "caption", "content", "body", "summary", "description")


def _safe_url(url: str | None) -> str | None:
    """Only http(s) URLs are ever put in src/href (no javascript:, data:, file:)."""
    if not url:
        return None
    return url if urlsplit(url).scheme in ("http", "https") else None


@register.simple_tag
def artifact_view(artifact: Any) -> dict[str, Any]:
    """How to render an artifact: kind (video, image, citations, trace, text, link, data) + data."""
    url = _safe_url(artifact.url)
    path = urlsplit(url).path.lower() if url else ""
    metadata = artifact.metadata if isinstance(artifact.metadata, dict) else {}
    texts = [(key, metadata[key]) for key in TEXT_KEYS if isinstance(metadata.get(key), str)]
    view: dict[str, Any] = {"kind": "data", "url": url, "texts": texts, "metadata": metadata}
    if artifact.type == ArtifactType.CITATIONS:
        view.update(kind="citations", items=metadata.get("items") or [])
    elif artifact.type == ArtifactType.RETRIEVAL_TRACE:
        trace = artifact.retrieval_trace or {}
        pairs = list(zip(trace.get("docIds") or [], trace.get("similarities") or [], strict=False))
        view.update(kind="trace", query=trace.get("query", ""), pairs=pairs)
    elif url and (path.endswith(VIDEO_SUFFIXES) or artifact.type in VIDEO_TYPES):
        view["kind"] = "video"
    elif url and path.endswith(IMAGE_SUFFIXES):
        view["kind"] = "image"
    elif texts:
        view["kind"] = "text"
    elif url:
        view["kind"] = "link"
    return view


@register.simple_tag
def runs_dashboard() -> dict[str, Any]:
    return selectors.dashboard_summary()


@register.simple_tag
def operations_charts() -> dict[str, Any]:
    return operations_dashboard(now=timezone.now())


@register.filter
def when(moment: datetime | None) -> str:
    return _when(moment)


@register.filter
def seconds_display(seconds: float | None) -> str:
    return selectors.duration_display(seconds) if seconds is not None else "—"


@register.simple_tag
def pending_approvals() -> dict[str, Any]:
    """The header badge on every admin page (two counts on partial indexes of open gates)."""
    summary = selectors.approval_queue_summary(now=timezone.now())
    return {
        "count": summary.count,
        "overdue": summary.overdue,
        "signature": summary.signature,
        "refresh_seconds": settings.CONSOLE_REFRESH_SECONDS,
    }


# Where a timeline row links to, by the id its details carry.
_TIMELINE_LINKS = (
    ("artifact_id", "admin:artifacts_artifact_change"),
    ("gate_request_id", "admin:runs_pendingapproval_change"),
    ("event_id", "admin:webhooks_webhookevent_change"),
)


@register.simple_tag
def timeline_rows(timeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Timeline events with their display time and link; runs of consecutive checkpoint writes
    are folded into one row (they are a third of a run's events and tell the operator little)."""
    rows: list[dict[str, Any]] = []
    for raw in timeline:
        event = {**raw, "at_display": _when(parse_datetime(raw["at"])), "url": _timeline_url(raw)}
        if event["kind"] == "checkpoint":
            if rows and rows[-1].get("folded"):
                rows[-1]["events"].append(event)
                rows[-1]["last"] = event
                continue
            rows.append({"folded": True, "events": [event], "first": event, "last": event})
        else:
            rows.append({"folded": False, "event": event})
    # A lone checkpoint write is not worth a fold.
    return [
        {"folded": False, "event": row["first"]} if row["folded"] and len(row["events"]) == 1 else row
        for row in rows
    ]


def _timeline_url(event: dict[str, Any]) -> str | None:
    details = event.get("details") or {}
    for key, name in _TIMELINE_LINKS:
        if details.get(key):
            return reverse(name, args=[details[key]])
    return None
