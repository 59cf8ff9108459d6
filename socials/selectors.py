"""Reads of the socials app: whether a run may be published, publish target, rate window, a run's
final video."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from artifacts.models import Artifact, ArtifactType
from myloware.lib.errors import Conflict, NotFound
from runs.models import Gate, Run, RunStatus
from runs.selectors import gate_is_approved, gate_policy_for
from socials.models import ProjectSocial, Publication, Social


def run_publish_refusal(run: Run) -> Conflict | None:
    """Why ``run`` may not be published now (the 409 to raise), or None when it may.

    The one rule, for the publish service (before and under its locks), the run page's publish
    link and the admin's publish page: the run is ``running`` and, when its project uses the
    ``prepublish`` gate, the latest opening of that gate was approved.
    """
    if run.status != RunStatus.RUNNING:
        return Conflict(
            f"Run {run.run_id} is {run.status}; only a running run can be published",
            details={"current_status": run.status, "required_status": RunStatus.RUNNING},
        )
    uses_gate = gate_policy_for(project=run.project, gate=Gate.PREPUBLISH).enabled
    if uses_gate and not gate_is_approved(run_id=run.run_id, gate=Gate.PREPUBLISH):
        return Conflict(
            f"Run {run.run_id} needs an approved prepublish gate before it can be published",
            code="prepublish_not_approved",
            details={"gate": Gate.PREPUBLISH, "current_status": run.status},
        )
    return None


def project_publish_target(*, project: str) -> Social:
    """The project's primary account; 404 naming the project when it has none (no fallback)."""
    link = ProjectSocial.objects.select_related("social").filter(project=project, is_primary=True).first()
    if link is None:
        raise NotFound(
            f"Project {project!r} has no primary social account; link one with is_primary=true",
            code="no_publish_target",
            details={"project": project},
        )
    return link.social


def project_links(*, project: str) -> QuerySet[ProjectSocial]:
    """The project's links with their accounts (the API's page orders them, oldest first)."""
    return ProjectSocial.objects.select_related("social").filter(project=project)


def social_window_seconds(social: Social) -> int:
    """The account's rate-limit window; NULL falls back to SOCIALS_DEFAULT_RATE_LIMIT_WINDOW."""
    if social.rate_limit_window is not None:
        return max(0, social.rate_limit_window)
    return settings.SOCIALS_DEFAULT_RATE_LIMIT_WINDOW


def social_last_publish_at(*, social_id: Any) -> datetime | None:
    return (
        Publication.objects.filter(social_id=social_id)
        .order_by("-requested_at")
        .values_list("requested_at", flat=True)
        .first()
    )


def social_next_publish_at(social: Social) -> datetime | None:
    """When the account may publish again; None when it may publish now (or has no window)."""
    window = social_window_seconds(social)
    last = social_last_publish_at(social_id=social.pk) if window else None
    if last is None:
        return None
    return last + timedelta(seconds=window)


def social_publications(*, social_id: Any, limit: int = 20) -> list[Publication]:
    return list(Publication.objects.filter(social_id=social_id).order_by("-requested_at")[:limit])


def run_final_video_url(*, run_id: str, result: dict[str, Any] | None) -> str | None:
    """The run's final render: its latest ``render.url`` artifact, else ``result.renderUrl``."""
    url = (
        Artifact.objects.filter(run_id=run_id, type=ArtifactType.RENDER_URL, url__isnull=False)
        .exclude(url="")
        .order_by("-created_at")
        .values_list("url", flat=True)
        .first()
    )
    if url:
        return url
    render_url = (result or {}).get("renderUrl")
    return render_url if isinstance(render_url, str) and render_url else None


def run_clip_urls(*, run_id: str, result: dict[str, Any] | None) -> set[str]:
    """URLs of the run's raw provider clips (``clip`` artifacts and ``result.videos[*]``)."""
    clips = Artifact.objects.filter(run_id=run_id, type=ArtifactType.CLIP, url__isnull=False)
    urls = {url for url in clips.values_list("url", flat=True) if url is not None}  # narrows the type
    for video in (result or {}).get("videos") or []:
        if isinstance(video, dict):
            for key in ("url", "clipUrl", "videoUrl"):
                if isinstance(video.get(key), str):
                    urls.add(video[key])
    return urls


def publish_preview(*, project: str) -> dict[str, Any]:
    """Where a run of ``project`` would be published with the account's defaults (the prepublish
    gate's summary): account, caption, tags, privacy; ``problem`` when there is no target."""
    try:
        social = project_publish_target(project=project)
    except NotFound as exc:
        return {"problem": exc.message}
    return {
        "account": str(social),
        "social_id": social.pk,
        "caption": social.default_caption or "",
        "tags": list(social.default_tags or []),
        "privacy": social.privacy or "provider default",
        "next_publish_at": social_next_publish_at(social),
    }
