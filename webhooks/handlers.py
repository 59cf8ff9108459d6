"""Provider handlers: turn one stored, verified event into effects through the runs/artifacts services.

A handler runs inside a savepoint (see services.webhook_events_process_batch), so its effects are
all or nothing; it raises to fail (the event goes to the dead-letter queue) and returns an
:class:`Outcome` (``processed`` or ``ignored``) otherwise. Handlers are idempotent (artifacts carry
a checksum, URLs are appended once), so a replay or an operator's reprocess never duplicates.
Result changes go through ``run_update_result`` (row lock): concurrent callbacks for one run never
lose each other's updates, and a refused transition (terminal run) is recorded, never forced. A
handler reads its run once (``_require_run``; under that lock when it changes the result) and
hands it to the services.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from artifacts.models import ArtifactType
from artifacts.services import artifact_create
from myloware.lib.errors import Conflict, NotFound
from runs.models import Run, RunStatus
from runs.services import run_get, run_merge_result, run_transition, run_update_result
from socials.services import publication_complete, run_post_record
from webhooks.models import EventStatus, WebhookEvent
from webhooks.verification import kieai_task_id

MAX_VIDEO_INDEX = 99


class HandlerError(Exception):
    """The event cannot be processed as it is (missing run, bad field); it goes to the DLQ."""


@dataclass(frozen=True)
class Outcome:
    status: str
    note: str = ""


def processed(note: str = "") -> Outcome:
    return Outcome(EventStatus.PROCESSED, note)


def ignored(note: str) -> Outcome:
    return Outcome(EventStatus.IGNORED, note)


def event_payload(event: WebhookEvent) -> dict[str, Any]:
    try:
        payload = json.loads(bytes(event.payload))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise HandlerError(f"payload is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise HandlerError("payload is not a JSON object")
    return payload


def _actor(event: WebhookEvent) -> str:
    return f"webhook:{event.provider}"


def _require_run(event: WebhookEvent, *, for_update: bool = False) -> Run:
    """The event's run, read once and handed to the services so that they don't read it again;
    ``for_update`` when the handler changes its result (the webhook loop's batch holds the lock
    already, so the locking read is cheap)."""
    if not event.run_id:
        raise HandlerError("the event names no run (no ?run_id= on the callback URL, none in the payload)")
    # NotFound -> DLQ: the run may not exist yet, or was deleted.
    return run_get(run_id=event.run_id, for_update=for_update)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def is_own_media(url: str) -> bool:
    """Whether ``url`` names a file under one of WEBHOOK_OWN_MEDIA_PREFIXES: media this server
    serves itself (the demo pipeline's small videos), trusted though it is http on a local host."""
    parts = urlsplit(url)
    if parts.query or parts.fragment or ".." in parts.path.split("/"):
        return False
    for prefix in settings.WEBHOOK_OWN_MEDIA_PREFIXES:
        own = urlsplit(prefix)
        if (parts.scheme, parts.netloc) == (own.scheme, own.netloc) and parts.path.startswith(own.path):
            return True
    return False


def check_untrusted_url(url: Any, *, allowed_hosts: list[str] | None = None) -> str:
    """``url`` if it is an https URL on a public host name (and an allowed one, when configured)."""
    if not isinstance(url, str) or not url:
        raise HandlerError("no result URL in the payload")
    if is_own_media(url):
        return url
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host:
        raise HandlerError(f"untrusted result URL (not https): {url[:200]!r}")
    try:
        ipaddress.ip_address(host)
        raise HandlerError(f"untrusted result URL (IP address host): {url[:200]!r}")
    except ValueError:
        pass
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        raise HandlerError(f"untrusted result URL (local host): {url[:200]!r}")
    if allowed_hosts and not any(host == h or host.endswith("." + h) for h in allowed_hosts):
        raise HandlerError(f"untrusted result URL (host {host} not in WEBHOOK_KIEAI_URL_HOSTS)")
    return url


# --- kie.ai -----------------------------------------------------------------------------------


def _video_index(payload: dict[str, Any], event: WebhookEvent) -> int | None:
    data = _dict(payload.get("data"))
    candidates = [
        _dict(payload.get("metadata")).get("videoIndex"),
        data.get("videoIndex"),
        _dict(data.get("metadata")).get("videoIndex"),
        (event.query or {}).get("video_index"),
    ]
    for value in candidates:
        if value is None or isinstance(value, bool):
            continue  # index 0 is valid: test for None, never for falsiness
        try:
            index = int(value)
        except (TypeError, ValueError):
            raise HandlerError(f"videoIndex is not an integer: {value!r}") from None
        if not 0 <= index <= MAX_VIDEO_INDEX:
            raise HandlerError(f"videoIndex out of range 0..{MAX_VIDEO_INDEX}: {index}")
        return index
    return None


def _update_video(
    result: dict[str, Any], *, index: int | None, task_id: str | None, patch: dict[str, Any]
) -> dict[str, Any]:
    """Patch ``result.videos[index]`` (found by task id when no index was sent); keep the rest."""
    videos = list(result.get("videos") or []) if isinstance(result.get("videos"), list) else []
    if index is None:
        matches = [i for i, v in enumerate(videos) if isinstance(v, dict) and v.get("taskId") == task_id]
        index = matches[0] if matches else len(videos)
    while len(videos) <= index:
        videos.append({})
    entry = dict(videos[index]) if isinstance(videos[index], dict) else {}
    entry.update(patch)
    videos[index] = entry
    result["videos"] = videos
    return result


def _no_video_can_succeed(result: dict[str, Any]) -> bool:
    videos = result.get("videos") or []
    return bool(videos) and all(isinstance(v, dict) and v.get("status") == "failed" for v in videos)


def handle_kieai(event: WebhookEvent) -> Outcome:
    """Success: a ``clip`` artifact and ``result.videos[i]`` generated; failure: an error artifact."""
    payload = event_payload(event)
    run = _require_run(event, for_update=True)
    run_id = run.run_id
    task_id = kieai_task_id(payload)
    index = _video_index(payload, event)
    data = _dict(payload.get("data"))
    code = payload.get("code")
    # Success is the envelope's code, not the HTTP status (400/422/500/501 are failures).
    if str(code) == "200":
        info = _dict(data.get("info"))
        urls = info.get("resultUrls") or info.get("result_urls") or data.get("resultUrls") or []
        urls = urls if isinstance(urls, list) else [urls]
        # The signature covers only the task id: the URL is untrusted input.
        url = check_untrusted_url(urls[0] if urls else None, allowed_hosts=settings.WEBHOOK_KIEAI_URL_HOSTS)
        artifact_create(
            run_id=run_id,
            type=ArtifactType.CLIP,
            actor=_actor(event),
            provider="kieai",
            persona="riley",
            url=url,
            checksum=f"kieai:{task_id}:{index}",
            metadata={
                "videoIndex": index,
                "taskId": task_id,
                "resultUrls": [u for u in urls if isinstance(u, str)],
                "resolution": info.get("resolution"),
                "webhookEventId": str(event.id),
            },
            run=run,
        )
        patch = {"status": "generated", "url": url, "taskId": task_id}
        run_update_result(
            run_id=run_id,
            mutate=lambda result: _update_video(result, index=index, task_id=task_id, patch=patch),
            actor=_actor(event),
            locked=run,
        )
        return processed()
    message = str(payload.get("msg") or f"kie.ai failure code {code}")
    artifact_create(
        run_id=run_id,
        type=ArtifactType.ERROR,
        actor=_actor(event),
        provider="kieai",
        persona="riley",
        checksum=f"kieai:{task_id}:{index}:error",
        metadata={"code": code, "msg": message, "taskId": task_id, "videoIndex": index},
        run=run,
    )
    patch = {"status": "failed", "error": message, "code": code, "taskId": task_id}
    run = run_update_result(
        run_id=run_id,
        mutate=lambda result: _update_video(result, index=index, task_id=task_id, patch=patch),
        actor=_actor(event),
        locked=run,
    )
    if _no_video_can_succeed(run.result or {}):
        return _transition(
            event, run_id, RunStatus.FAILED, reason=f"kie.ai: no video can succeed ({message})"
        )
    return processed()


def _transition(event: WebhookEvent, run_id: str, to: str, *, reason: str) -> Outcome:
    """Move the run; a refused move (terminal or not ready) is recorded on the event, not retried."""
    try:
        run_transition(run_id=run_id, to=to, actor=_actor(event), reason=reason)
    except Conflict as exc:
        return processed(f"run not moved to {to}: {exc.message}")
    return processed()


# --- Shotstack --------------------------------------------------------------------------------


def handle_shotstack(event: WebhookEvent) -> Outcome:
    """A done edit render: ``render.url`` artifact + ``result.renderUrl``; failed: an error artifact."""
    payload = event_payload(event)
    kind, status = payload.get("type"), payload.get("status")
    if kind != "edit":
        return ignored(f"shotstack {kind!r} callback (hosted asset copy) needs no action")
    if status not in ("done", "failed"):
        return ignored(f"shotstack render status {status!r} needs no action")
    run = _require_run(event, for_update=True)
    run_id = run.run_id
    render_id = str(payload.get("id") or "")
    if status == "failed":
        artifact_create(
            run_id=run_id,
            type=ArtifactType.ERROR,
            actor=_actor(event),
            provider="shotstack",
            persona="alex",
            checksum=f"shotstack:{render_id}:failed",
            metadata={"renderId": render_id, "error": payload.get("error")},
            run=run,
        )
        return processed()
    url = check_untrusted_url(payload.get("url"))
    artifact_create(
        run_id=run_id,
        type=ArtifactType.RENDER_URL,
        actor=_actor(event),
        provider="shotstack",
        persona="alex",
        url=url,
        checksum=f"shotstack:{render_id}",
        metadata={
            "renderId": render_id,
            "owner": payload.get("owner"),
            "completed": payload.get("completed"),
        },
        run=run,
    )
    run_merge_result(run_id=run_id, patch={"renderUrl": url}, actor=_actor(event), locked=run)
    return processed()


# --- upload-post ------------------------------------------------------------------------------


def handle_upload_post(event: WebhookEvent) -> Outcome:
    """``upload_completed``: the matching publication is finished (socials), or else the run named by
    the callback URL gets it directly: success -> the post recorded by socials (``run_post_record``:
    ``publish.url`` artifact, URL appended once, run ``published``); failure -> an error artifact."""
    payload = event_payload(event)
    if payload.get("event") != "upload_completed":
        return ignored(f"upload-post event {payload.get('event')!r} needs no action")
    outcome = _dict(payload.get("result"))
    finished = _complete_publication(event, payload, outcome)
    if finished is not None:
        return finished
    run = _require_run(event)
    run_id = run.run_id
    job = str(payload.get("job_id") or payload.get("publish_id") or outcome.get("publish_id") or "")
    platform = payload.get("platform")
    details = {
        "jobId": job,
        "platform": platform,
        "publishId": outcome.get("publish_id"),
        "postId": outcome.get("post_id"),
        "profile": payload.get("profile_username"),
    }
    if not outcome.get("success"):
        artifact_create(
            run_id=run_id,
            type=ArtifactType.ERROR,
            actor=_actor(event),
            provider="upload-post",
            persona="quinn",
            checksum=f"upload-post:{job}:{platform}:error",
            metadata={**details, "error": outcome.get("error")},
            run=run,
        )
        return processed()
    url = check_untrusted_url(outcome.get("url"))
    recorded = run_post_record(
        run_id=run_id,
        url=url,
        actor=_actor(event),
        checksum=f"upload-post:{job}:{platform}",
        metadata=details,
        reason=f"upload-post: published on {platform}",
    )
    if not recorded.recorded:
        return processed(f"run {run_id} already has the post {url}")
    if recorded.not_published:
        return processed(f"run not moved to {RunStatus.PUBLISHED}: {recorded.not_published}")
    return processed()


def _complete_publication(
    event: WebhookEvent, payload: dict[str, Any], outcome: dict[str, Any]
) -> Outcome | None:
    """Finish the socials publication this completion answers (matched by request/job id).

    Publications we started asynchronously wait for this webhook; socials.services owns their
    effects (publish.url artifact, publishUrls, run published or failed). None when no
    publication matches: the completion is then applied to the run named by the callback URL.
    """
    request_id = payload.get("request_id") or outcome.get("request_id")
    job_id = payload.get("job_id") or payload.get("publish_id") or outcome.get("publish_id")
    if not request_id and not job_id:
        return None
    try:
        publication = publication_complete(
            actor=_actor(event),
            success=bool(outcome.get("success")),
            request_id=str(request_id) if request_id else None,
            job_id=str(job_id) if job_id else None,
            url=outcome.get("url"),
            error=outcome.get("error"),
            response=payload,
        )
    except NotFound as exc:
        if exc.code == "unknown_publication":
            return None
        raise
    return processed(
        f"publication {publication.pk} is {publication.status}"
        + (f": {publication.error}" if publication.error else "")
    )


Handler = Callable[[WebhookEvent], Outcome]

# Handler names used by webhooks.conf (ProviderConfig.handler).
HANDLERS: dict[str, Handler] = {
    "kieai": handle_kieai,
    "shotstack": handle_shotstack,
    "upload-post": handle_upload_post,
}
