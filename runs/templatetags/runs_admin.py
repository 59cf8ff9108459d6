"""Template helpers of the operators' console: artifacts shown as a person wants to see them,
and the admin index dashboard."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import template

from runs import selectors

register = template.Library()

VIDEO_SUFFIXES = (".mp4", ".webm", ".mov", ".m4v", ".ogv")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif")
VIDEO_TYPES = {"clip", "render", "render.url", "video"}
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
    if artifact.type == "citations":
        view.update(kind="citations", items=metadata.get("items") or [])
    elif artifact.type == "retrieval.trace":
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
