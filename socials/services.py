"""Socials and publishing services: the only code that writes socials, links and publications.

Shared by the API, the admin, the django-q2 task and the upload-post webhook handler
(:func:`publication_complete`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, ProtectedError, Q
from django.utils import timezone

from artifacts.models import Artifact, ArtifactType
from artifacts.services import artifact_create
from myloware.lib.errors import Conflict, InvalidInput, NotFound, RateLimited
from myloware.lib.metrics import PUBLICATIONS, count_on_commit
from myloware.lib.tasks import enqueue, enqueue_on_commit
from myloware.lib.text import counted
from runs.models import Run, RunStatus
from runs.services import run_get, run_transition, run_update_result
from socials import selectors
from socials.credentials import credential_ref_validate, credential_resolve
from socials.fetch import VideoFetchFailed, video_fetch, video_url_check
from socials.models import (
    ACTIVE_PUBLICATION_STATUSES,
    LIVE_PUBLICATION_STATUSES,
    ProjectSocial,
    Publication,
    PublicationStatus,
    Social,
)
from socials.upload_post import (
    FakeUploadPostClient,
    ProviderError,
    StatusOutcome,
    UploadOutcome,
    UploadPostClient,
    UploadRequest,
    safe_response,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")

PROJECT_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
PROVIDER_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
MAX_CAPTION = 2200  # TikTok's caption limit
MAX_TAGS = 30
MAX_TAG_LENGTH = 100
MAX_WINDOW_SECONDS = 30 * 24 * 3600
PUBLISH_PROVIDER = "upload-post"
PUBLISH_PERSONA = "quinn"
PUBLISH_TASK = "socials.tasks.publication_run"
SOCIAL_FIELDS = (
    "provider",
    "account_id",
    "credential_ref",
    "default_caption",
    "default_tags",
    "privacy",
    "rate_limit_window",
)


# --- accounts -------------------------------------------------------------------------------


def social_get(*, social_id: Any) -> Social:
    social = Social.objects.filter(pk=social_id).first()
    if social is None:
        raise NotFound(f"Social account {social_id} does not exist")
    return social


def social_create(
    *,
    provider: str,
    account_id: str,
    actor: str,
    credential_ref: str = "",
    default_caption: str | None = None,
    default_tags: list[str] | None = None,
    privacy: str | None = None,
    rate_limit_window: int | None = None,
) -> Social:
    """Create an account; (provider, account_id) is unique (409 on a duplicate)."""
    fields = social_fields_clean(
        {
            "provider": provider,
            "account_id": account_id,
            "credential_ref": credential_ref,
            "default_caption": default_caption,
            "default_tags": default_tags,
            "privacy": privacy,
            "rate_limit_window": rate_limit_window,
        }
    )
    try:
        with transaction.atomic():
            social = Social.objects.create(**fields)
    except IntegrityError:
        raise Conflict(
            f"A {fields['provider']} account {fields['account_id']!r} already exists",
            details={"provider": fields["provider"], "account_id": fields["account_id"]},
        ) from None
    logger.info("social %s created by %s", social, actor)
    return Social.objects.get(pk=social.pk)


def social_update(*, social_id: Any, changes: dict[str, Any], actor: str) -> Social:
    """Change some fields of an account (validated like on create)."""
    unknown = sorted(set(changes) - set(SOCIAL_FIELDS))
    if unknown:
        raise InvalidInput(f"Unknown fields: {', '.join(unknown)}", details={"fields": unknown})
    with transaction.atomic():
        social = Social.objects.select_for_update().filter(pk=social_id).first()
        if social is None:
            raise NotFound(f"Social account {social_id} does not exist")
        merged = {name: getattr(social, name) for name in SOCIAL_FIELDS} | changes
        fields = social_fields_clean(merged)
        try:
            with transaction.atomic():
                Social.objects.filter(pk=social_id).update(**fields)
        except IntegrityError:
            raise Conflict(
                f"A {fields['provider']} account {fields['account_id']!r} already exists"
            ) from None
    logger.info("social %s updated by %s: %s", social_id, actor, sorted(changes))
    return Social.objects.get(pk=social_id)


def social_delete(*, social_id: Any, actor: str) -> None:
    """Delete an account and its project links; refused (409) once it has a publish history."""
    social = social_get(social_id=social_id)
    try:
        with transaction.atomic():
            social.delete()
    except ProtectedError:
        raise Conflict(
            f"Social account {social} has publications; it is kept for their history",
            details={"social_id": str(social_id)},
        ) from None
    logger.info("social %s deleted by %s", social, actor)


def social_fields_clean(fields: dict[str, Any]) -> dict[str, Any]:
    """Validate and normalise account fields; raises InvalidInput naming each bad field."""
    errors: dict[str, list[str]] = {}
    out = dict(fields)
    provider = str(fields.get("provider") or "").strip().lower()
    if not PROVIDER_SLUG.fullmatch(provider):
        errors["provider"] = ["a lower-case platform slug such as tiktok"]
    out["provider"] = provider
    account_id = str(fields.get("account_id") or "").strip()
    if not account_id or len(account_id) > 200:
        errors["account_id"] = ["required, at most 200 characters"]
    out["account_id"] = account_id
    try:
        out["credential_ref"] = credential_ref_validate(fields.get("credential_ref") or "")
    except InvalidInput as exc:
        errors["credential_ref"] = [exc.message]
    caption = fields.get("default_caption")
    if caption is not None and (not isinstance(caption, str) or len(caption) > MAX_CAPTION):
        errors["default_caption"] = [f"text of at most {MAX_CAPTION} characters"]
    tags = fields.get("default_tags")
    if tags is not None:
        try:
            out["default_tags"] = tags_clean(tags)
        except InvalidInput as exc:
            errors["default_tags"] = [exc.message]
    privacy = fields.get("privacy")
    if privacy is not None and (not isinstance(privacy, str) or len(privacy) > 50):
        errors["privacy"] = ["text of at most 50 characters"]
    window = fields.get("rate_limit_window")
    if window is not None and (
        not isinstance(window, int) or isinstance(window, bool) or not 0 <= window <= MAX_WINDOW_SECONDS
    ):
        errors["rate_limit_window"] = [f"seconds between 0 and {MAX_WINDOW_SECONDS}, or null"]
    if errors:
        raise InvalidInput("Invalid social account", details=errors)
    return out


def tags_clean(tags: Any) -> list[str]:
    """Tags as stored and sent: without a leading '#', no blanks, no whitespace inside."""
    if not isinstance(tags, list) or len(tags) > MAX_TAGS:
        raise InvalidInput(f"tags must be a list of at most {MAX_TAGS} strings")
    cleaned: list[str] = []
    for tag in tags:
        if not isinstance(tag, str):
            raise InvalidInput("tags must be strings")
        tag = tag.strip().lstrip("#")
        if not tag or len(tag) > MAX_TAG_LENGTH or any(ch.isspace() for ch in tag):
            raise InvalidInput(f"invalid tag {tag!r}: one word of at most {MAX_TAG_LENGTH} characters")
        if tag not in cleaned:
            cleaned.append(tag)
    return cleaned


# --- project links ----------------------------------------------------------------------------


def project_slug_check(project: str) -> str:
    if not isinstance(project, str) or not PROJECT_SLUG.fullmatch(project):
        raise InvalidInput(
            f"Invalid project slug {project!r}", details={"project": ["letters, digits, _ . -"]}
        )
    return project


def _lock_project(project: str) -> None:
    # Serialises every link change of one project (swaps, links with is_primary) so two
    # concurrent swaps can't interleave; the partial unique index stays the last line of defence.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"project_socials:{project}"])


def project_social_link(
    *, project: str, social_id: Any, actor: str, is_primary: bool = False
) -> ProjectSocial:
    """Link an account to a project (409 when already linked); ``is_primary`` swaps atomically."""
    project_slug_check(project)
    social = social_get(social_id=social_id)
    with transaction.atomic():
        _lock_project(project)
        if ProjectSocial.objects.filter(project=project, social=social).exists():
            raise Conflict(
                f"Account {social} is already linked to project {project!r}",
                details={"project": project, "social_id": str(social.pk)},
            )
        if is_primary:
            ProjectSocial.objects.filter(project=project, is_primary=True).update(is_primary=False)
        try:
            with transaction.atomic():
                link = ProjectSocial.objects.create(project=project, social=social, is_primary=is_primary)
        except IntegrityError:
            raise Conflict(f"Account {social} is already linked to project {project!r}") from None
    logger.info("project %s linked to %s (primary=%s) by %s", project, social, is_primary, actor)
    return ProjectSocial.objects.select_related("social").get(pk=link.pk)


def project_social_unlink(*, project: str, social_id: Any, actor: str) -> None:
    with transaction.atomic():
        _lock_project(project)
        deleted, _ = ProjectSocial.objects.filter(project=project, social_id=social_id).delete()
    if not deleted:
        raise NotFound(f"Account {social_id} is not linked to project {project!r}")
    logger.info("project %s unlinked from %s by %s", project, social_id, actor)


def project_social_make_primary(*, project: str, social_id: Any, actor: str) -> ProjectSocial:
    """Make the linked account the project's primary; the previous primary is demoted atomically."""
    with transaction.atomic():
        _lock_project(project)
        link = ProjectSocial.objects.filter(project=project, social_id=social_id).first()
        if link is None:
            raise NotFound(f"Account {social_id} is not linked to project {project!r}")
        if not link.is_primary:
            # Demote first: the partial unique index is checked per statement.
            ProjectSocial.objects.filter(project=project, is_primary=True).update(is_primary=False)
            ProjectSocial.objects.filter(pk=link.pk).update(is_primary=True)
    logger.info("project %s primary account is now %s (by %s)", project, social_id, actor)
    return ProjectSocial.objects.select_related("social").get(pk=link.pk)


# --- publishing -------------------------------------------------------------------------------


def publication_key(*, video_url: str, caption: str, social: Social) -> str:
    """The idempotency key: the same video and caption to the same account and platform."""
    material = json.dumps([video_url, caption, social.provider, social.account_id], separators=(",", ":"))
    return "mlw-pub-" + hashlib.sha256(material.encode()).hexdigest()


def fake_publisher_allowed() -> bool:
    return bool(settings.DEBUG and settings.SOCIALS_FAKE_PUBLISHER)


def publication_request(
    *,
    run_id: str,
    actor: str,
    caption: str | None = None,
    tags: list[str] | None = None,
    privacy: str | None = None,
    video_url: str | None = None,
) -> tuple[Publication, bool]:
    """Ask to publish a run's final video to its project's primary account.

    Returns ``(publication, created)``. The same content (video, caption, account, platform)
    again returns the first publication without calling the provider. Otherwise the run must
    be ``running`` (409 with the current status), its ``prepublish`` gate approved when the
    project uses that gate, and the account outside its rate-limit window (429 + retry_after;
    the account row is locked so two concurrent requests can't both pass). The upload itself
    runs as a django-q2 task after commit.
    """
    run = run_get(run_id=run_id)
    try:
        social = selectors.project_publish_target(project=run.project)
    except NotFound as exc:
        # The run exists; its project is not set up for publishing yet (a state, like the gate).
        raise Conflict(exc.message, code="no_publish_target", details={"project": run.project}) from None
    caption = social.default_caption or "" if caption is None else caption
    if not isinstance(caption, str) or len(caption) > MAX_CAPTION:
        raise InvalidInput(f"caption must be text of at most {MAX_CAPTION} characters")
    tags = tags_clean(social.default_tags or [] if tags is None else tags)
    privacy = social.privacy if privacy is None else privacy
    video_url = _video_for(run, video_url)
    video_url_check(video_url, check_host=False)
    key = publication_key(video_url=video_url, caption=caption, social=social)
    existing = Publication.objects.filter(idempotency_key=key).first()
    if existing is not None:  # the first result, whatever changed since (run status, credential)
        return _replay(existing, run_id), False
    _require_publishable(run)
    fake = _fake_for(social)
    if not fake:  # the fake publisher fetches nothing; real uploads only from allowed hosts
        video_url_check(video_url)
    fields = {"tags": tags, "privacy": privacy, "fake": fake, "actor": actor}
    return _publication_create(run_id, social, video_url, caption, key, fields)


def _publication_create(
    run_id: str, social: Social, video_url: str, caption: str, key: str, fields: dict[str, Any]
) -> tuple[Publication, bool]:
    with transaction.atomic():
        # Lock order everywhere: run, then account, then publication (see _lock_run_of).
        run = Run.objects.select_for_update().get(run_id=run_id)
        locked = Social.objects.select_for_update().get(pk=social.pk)
        # Re-checked under the locks: a concurrent request with the same content wins first.
        existing = Publication.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return _replay(existing, run_id), False
        # The status read before the locks may be stale (a publication finished meanwhile).
        _require_publishable(run)
        now = timezone.now()
        _check_window(locked, now)
        try:
            with transaction.atomic():
                publication = Publication.objects.create(
                    run_id=run_id,
                    social=locked,
                    platform=locked.provider,
                    account_id=locked.account_id,
                    video_url=video_url,
                    caption=caption,
                    idempotency_key=key,
                    requested_at=now,
                    **fields,
                )
        except IntegrityError:  # social_pub_one_live_per_run: the run has its post already
            raise _live_publication_conflict(run_id) from None
        enqueue_on_commit(PUBLISH_TASK, str(publication.pk))
    logger.info(
        "publication %s of run %s to %s requested by %s", publication.pk, run_id, locked, fields["actor"]
    )
    return publication, True


def _require_publishable(run: Run) -> None:
    refusal = selectors.run_publish_refusal(run)
    if refusal is not None:
        raise Conflict(refusal.message, code=refusal.code, details=refusal.details)


def _live_publication_conflict(run_id: str) -> Conflict:
    live = Publication.objects.filter(run_id=run_id, status__in=LIVE_PUBLICATION_STATUSES).first()
    details = {"run_id": run_id, "publication_id": str(live.pk) if live else None}
    if live is not None and live.status == PublicationStatus.PUBLISHED:
        return Conflict(
            f"Run {run_id} is already published ({live.publish_url})",
            code="already_published",
            details={**details, "publish_url": live.publish_url},
        )
    return Conflict(
        f"Run {run_id} already has a publication in progress", code="publication_in_progress", details=details
    )


def _lock_run_of(publication: Publication) -> None:
    """Take the run's row lock before touching a publication row (the request's lock order):
    finishing one publication while another request for the run inserts can't deadlock."""
    Run.objects.select_for_update().filter(run_id=publication.run_id).first()


def _check_window(social: Social, now: Any) -> None:
    window = selectors.social_window_seconds(social)
    last = selectors.social_last_publish_at(social_id=social.pk) if window else None
    if last is None:
        return
    next_at = last + timedelta(seconds=window)
    if now < next_at:
        retry_after = max(1, math.ceil((next_at - now).total_seconds()))
        raise RateLimited(
            f"Account {social} may publish once every {window} s; next publish allowed at "
            f"{next_at.isoformat()}",
            retry_after=retry_after,
            details={"next_allowed_at": next_at.isoformat(), "rate_limit_window": window},
        )


def _replay(existing: Publication, run_id: str) -> Publication:
    if existing.run_id != run_id:
        raise Conflict(
            f"This content was already published to {existing.platform}:{existing.account_id} "
            f"by run {existing.run_id}",
            code="duplicate_content",
            details={
                "publication_id": str(existing.pk),
                "run_id": existing.run_id,
                "status": existing.status,
                "publish_url": existing.publish_url,
            },
        )
    return existing


def _video_for(run: Any, video_url: str | None) -> str:
    clips = selectors.run_clip_urls(run_id=run.run_id, result=run.result)
    if video_url is None:
        video_url = selectors.run_final_video_url(run_id=run.run_id, result=run.result)
        if not video_url:
            raise Conflict(
                f"Run {run.run_id} has no final render yet (render.url artifact or result.renderUrl)",
                code="no_final_render",
                details={"current_status": run.status},
            )
    if not isinstance(video_url, str) or not video_url.strip():
        raise InvalidInput("video_url must be a URL", details={"video_url": ["required"]})
    video_url = video_url.strip()
    if video_url in clips:
        raise InvalidInput(
            "That URL is a raw provider clip of this run; only the final render is published",
            code="raw_clip_refused",
            details={"video_url": ["raw clip"]},
        )
    return video_url


def _fake_for(social: Social) -> bool:
    """Whether the fake publisher serves this account; refuses accounts it can't serve."""
    if social.credential_ref:
        credential_resolve(social.credential_ref)  # fail now (422) rather than in the task
        return False
    if fake_publisher_allowed():
        return True
    raise InvalidInput(
        f"Account {social} has no credential_ref; the fake publisher is only available with DEBUG on",
        code="no_credentials",
        details={"social_id": str(social.pk)},
    )


def publisher_for(publication: Publication) -> UploadPostClient | FakeUploadPostClient:
    if publication.fake:
        if not fake_publisher_allowed():
            raise InvalidInput("The fake publisher is refused: DEBUG is off", code="fake_publisher_refused")
        return FakeUploadPostClient()
    return UploadPostClient(api_key=credential_resolve(publication.social.credential_ref))


def publication_execute(*, publication_id: Any, actor: str) -> Publication | None:
    """Upload a queued publication (the django-q2 task's body). Safe to run twice: it claims first.

    Permanent failures (refused video, missing credential, provider 4xx) and transient ones that
    outlast the retries fail the publication and the run with the reason.
    """
    now = timezone.now()
    claimed = Publication.objects.filter(pk=publication_id, status=PublicationStatus.QUEUED).update(
        status=PublicationStatus.UPLOADING, started_at=now, updated_at=now, attempts=F("attempts") + 1
    )
    publication = Publication.objects.select_related("social").filter(pk=publication_id).first()
    if not claimed or publication is None:
        return publication
    try:
        outcome = _upload(publication)
    except InvalidInput as exc:
        return _publication_fail(publication, reason=exc.message, actor=actor)
    except ProviderError as exc:
        reason = exc.message
        if exc.transient:
            reason += f" (gave up after {settings.UPLOAD_POST_MAX_RETRIES + 1} attempts)"
        return _publication_fail(publication, reason=reason, actor=actor, response=exc.response)
    except VideoFetchFailed as exc:
        return _publication_fail(publication, reason=f"Fetching the video failed: {exc}", actor=actor)
    except Exception as exc:  # never leave a publication stuck in "uploading"
        logger.exception("publication %s failed unexpectedly", publication_id)
        return _publication_fail(publication, reason=f"Internal error ({type(exc).__name__})", actor=actor)
    if outcome.url:
        return _publication_succeed(publication, url=outcome.url, response=outcome.response, actor=actor)
    now = timezone.now()
    Publication.objects.filter(pk=publication.pk, status=PublicationStatus.UPLOADING).update(
        status=PublicationStatus.PROCESSING,
        provider_request_id=outcome.request_id,
        provider_response=safe_response(outcome.response),
        updated_at=now,
        # The webhook normally finishes it; the status poll is the fallback if it never comes.
        next_poll_at=now + poll_delay(0),
    )
    return Publication.objects.get(pk=publication.pk)


def _upload(publication: Publication) -> UploadOutcome:
    client = publisher_for(publication)
    title = " ".join([publication.caption, *(f"#{tag}" for tag in publication.tags)]).strip()
    request = UploadRequest(
        user=publication.account_id,
        platform=publication.platform,
        title=title,
        privacy=publication.privacy,
        idempotency_key=publication.idempotency_key,
        async_upload=settings.UPLOAD_POST_ASYNC,
    )
    if client.fake:
        return client.upload(request)
    video = _retrying(lambda: video_fetch(publication.video_url))
    try:
        request.video, request.filename, request.content_type = video.file, video.filename, video.content_type
        return client.upload(request)
    finally:
        video.close()


def _retrying(call: Callable[[], T]) -> T:
    """Retry ``call`` on VideoFetchFailed with the same backoff as the upload client."""
    attempts = settings.UPLOAD_POST_MAX_RETRIES + 1
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except VideoFetchFailed:
            if attempt == attempts:
                raise
            time.sleep(settings.UPLOAD_POST_BACKOFF_MS / 1000 * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


def _publication_succeed(publication: Publication, *, url: str, response: Any, actor: str) -> Publication:
    """Finish a publication once with its live post, then record the post on the run."""
    with transaction.atomic():
        _lock_run_of(publication)
        now = timezone.now()
        changes: dict[str, Any] = {"status": PublicationStatus.PUBLISHED, "publish_url": url, "error": ""}
        if response is not None:
            changes["provider_response"] = safe_response(response)
        updated = Publication.objects.filter(
            pk=publication.pk, status__in=ACTIVE_PUBLICATION_STATUSES
        ).update(completed_at=now, updated_at=now, **changes)
        if not updated:  # finished already (a duplicate webhook, a second worker)
            return Publication.objects.get(pk=publication.pk)
        count_on_commit(
            PUBLICATIONS.labels(provider=publication.platform, status=PublicationStatus.PUBLISHED).inc
        )
        publication.refresh_from_db()
        recorded = run_post_record(
            run_id=publication.run_id,
            url=url,
            actor=actor,
            checksum=publication.idempotency_key,
            metadata=_artifact_metadata(publication),
            reason=f"published to {publication.platform}:{publication.account_id}",
        )
        if recorded.not_published:
            # The run moved on (e.g. cancelled) while the upload ran: the post exists anyway.
            logger.warning("publication %s succeeded but %s", publication.pk, recorded.not_published)
            Publication.objects.filter(pk=publication.pk).update(
                error=f"Published, but {recorded.not_published}"
            )
    return Publication.objects.get(pk=publication.pk)


@dataclass(frozen=True)
class PostRecord:
    """What :func:`run_post_record` did."""

    recorded: bool  # False: the run already had this post (same URL), nothing was added
    not_published: str = ""  # why the run was not moved to published (it can't be any more), else ""


def run_post_record(
    *, run_id: str, url: str, actor: str, checksum: str, metadata: dict[str, Any], reason: str
) -> PostRecord:
    """Record a live post of a run: ``publish.url`` artifact, ``result.publishUrls``, run → published.

    The one implementation of "a run was published", for our own publications and for
    upload-post completions of uploads we did not start (the webhook fallback). Under the run's
    row lock (the lock order of every publishing write: run first), a URL the run already has is
    not recorded again, whichever path recorded it first, so a duplicate or late completion adds
    nothing. A run that may no longer move to published keeps the record and says why.
    """
    with transaction.atomic():
        Run.objects.select_for_update().filter(run_id=run_id).first()
        if Artifact.objects.filter(run_id=run_id, type=ArtifactType.PUBLISH_URL, url=url).exists():
            return PostRecord(recorded=False)
        artifact_create(
            run_id=run_id,
            type=ArtifactType.PUBLISH_URL,
            actor=actor,
            provider=PUBLISH_PROVIDER,
            url=url,
            checksum=checksum,
            persona=PUBLISH_PERSONA,
            metadata=metadata,
        )
        run_update_result(run_id=run_id, mutate=_append_publish_url(url), actor=actor)
        try:
            run_transition(run_id=run_id, to=RunStatus.PUBLISHED, actor=actor, reason=reason)
        except Conflict as exc:
            return PostRecord(recorded=True, not_published=exc.message)
    return PostRecord(recorded=True)


def _artifact_metadata(publication: Publication) -> dict[str, Any]:
    return {
        "account": {
            "social_id": str(publication.social_id),
            "provider": publication.platform,
            "account_id": publication.account_id,
        },
        "platform": publication.platform,
        "publication_id": str(publication.pk),
        "idempotency_key": publication.idempotency_key,
        "provider_request_id": publication.provider_request_id,
        "fake": publication.fake,
        "response": publication.provider_response,
    }


def _append_publish_url(url: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def mutate(result: dict[str, Any]) -> dict[str, Any]:
        urls = result.get("publishUrls")
        urls = list(urls) if isinstance(urls, list) else []
        if url not in urls:
            urls.append(url)
        result["publishUrls"] = urls
        return result

    return mutate


def _publication_fail(
    publication: Publication, *, reason: str, actor: str, response: Any = None
) -> Publication:
    """Fail the publication once and the run with the provider's reason."""
    reason = reason[:2000]
    with transaction.atomic():
        _lock_run_of(publication)
        now = timezone.now()
        changes: dict[str, Any] = {"status": PublicationStatus.FAILED, "error": reason}
        if response is not None:
            changes["provider_response"] = safe_response(response)
        updated = Publication.objects.filter(
            pk=publication.pk, status__in=ACTIVE_PUBLICATION_STATUSES
        ).update(completed_at=now, updated_at=now, **changes)
        if not updated:
            return Publication.objects.get(pk=publication.pk)
        count_on_commit(
            PUBLICATIONS.labels(provider=publication.platform, status=PublicationStatus.FAILED).inc
        )
        error = {
            "stage": "publish",
            "provider": PUBLISH_PROVIDER,
            "message": reason,
            "publication_id": str(publication.pk),
        }

        def mutate(result: dict[str, Any]) -> dict[str, Any]:
            errors = result.get("errors")
            result["errors"] = [*(errors if isinstance(errors, list) else []), error]
            return result

        run_update_result(run_id=publication.run_id, mutate=mutate, actor=actor)
        try:
            run_transition(
                run_id=publication.run_id,
                to=RunStatus.FAILED,
                actor=actor,
                reason=f"publish failed: {reason}",
            )
        except Conflict as exc:
            logger.warning("publication %s failed; run not moved: %s", publication.pk, exc.message)
    logger.warning("publication %s failed: %s", publication.pk, reason)
    return Publication.objects.get(pk=publication.pk)


def publication_complete(
    *,
    actor: str,
    success: bool,
    request_id: str | None = None,
    job_id: str | None = None,
    url: str | None = None,
    error: str | None = None,
    response: dict[str, Any] | None = None,
) -> Publication:
    """Finish an asynchronous publication from the provider's answer (upload_completed webhook).

    Finds the publication by the provider's ``request_id``/``job_id`` (404 when none matches:
    the caller may retry later, the request_id is stored right after the upload answer).
    Idempotent: a finished publication is returned unchanged, so duplicate or late webhooks
    have no effect. Success → publish.url artifact, result.publishUrls, run → published;
    failure → publication and run failed with ``error``.
    """
    ids = [str(value) for value in (request_id, job_id) if value]
    if not ids:
        raise InvalidInput("publication_complete needs a request_id or a job_id")
    publication = (
        Publication.objects.select_related("social")
        .filter(provider_request_id__in=ids)
        .order_by("-created_at")
        .first()
    )
    if publication is None:
        raise NotFound(
            f"No publication with provider request id {' / '.join(ids)}", code="unknown_publication"
        )
    if publication.is_finished:
        return publication
    if not success:
        return _publication_fail(
            publication, reason=error or "upload-post reported a failure", actor=actor, response=response
        )
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise InvalidInput("A successful completion needs the post's http(s) URL", details={"url": url})
    return _publication_succeed(publication, url=url, response=response, actor=actor)


def publications_recover_stale(*, actor: str, now: Any = None, batch: int = 100) -> int:
    """Re-run publications whose job was lost; returns how many were queued again.

    ``uploading`` past SOCIALS_PUBLISH_STALE_SECONDS means the worker died mid-upload (the
    django-q2 timeout is shorter): it goes back to ``queued`` with the same idempotency key, so
    the provider can recognise a repeat, until SOCIALS_PUBLISH_MAX_ATTEMPTS jobs, then it fails.
    ``queued`` that old means the enqueue after commit was lost: it is enqueued again (the job's
    claim makes a duplicate harmless).
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.SOCIALS_PUBLISH_STALE_SECONDS)
    requeued = 0
    stuck = Publication.objects.filter(status=PublicationStatus.UPLOADING, started_at__lt=cutoff)
    for publication in stuck.select_related("social").order_by("started_at")[:batch]:
        if publication.attempts >= settings.SOCIALS_PUBLISH_MAX_ATTEMPTS:
            _publication_fail(
                publication,
                reason=f"The upload did not finish after {publication.attempts} attempts (worker lost)",
                actor=actor,
            )
            continue
        with transaction.atomic():
            if Publication.objects.filter(
                pk=publication.pk, status=PublicationStatus.UPLOADING, started_at__lt=cutoff
            ).update(status=PublicationStatus.QUEUED, updated_at=now):
                enqueue_on_commit(PUBLISH_TASK, str(publication.pk))
                requeued += 1
    lost = Publication.objects.filter(status=PublicationStatus.QUEUED, updated_at__lt=cutoff)
    for pk in lost.order_by("updated_at").values_list("pk", flat=True)[:batch]:
        # Touch it so the next sweep leaves it alone while this job waits in the queue.
        if Publication.objects.filter(pk=pk, status=PublicationStatus.QUEUED).update(updated_at=now):
            enqueue(PUBLISH_TASK, str(pk))
            requeued += 1
    if requeued:
        logger.warning("requeued %s", counted(requeued, "stale publication"))
    return requeued


# --- fallback status poll ---------------------------------------------------------------------

STATUS_TIMEOUT_CODE = "provider_status_timeout"


@dataclass
class PollSummary:
    """What one poll sweep did (``due`` lists the publication ids it found due)."""

    due: list[str] = field(default_factory=list)
    published: int = 0
    failed: int = 0
    timed_out: int = 0
    still_processing: int = 0


def poll_delay(polls_done: int) -> timedelta:
    """Wait before the next status poll: base, 2×base, 4×base … capped."""
    base = settings.SOCIALS_STATUS_POLL_BASE_SECONDS
    seconds = min(base * 2 ** min(polls_done, 20), settings.SOCIALS_STATUS_POLL_MAX_INTERVAL_SECONDS)
    return timedelta(seconds=seconds)


def _due_publications(now: Any) -> Any:
    # NULL next_poll_at = a row that went processing before the poll existed: due once it has
    # been processing for the base interval.
    base_ago = now - timedelta(seconds=settings.SOCIALS_STATUS_POLL_BASE_SECONDS)
    due = Q(next_poll_at__lte=now) | Q(next_poll_at__isnull=True, updated_at__lte=base_ago)
    return (
        Publication.objects.filter(status=PublicationStatus.PROCESSING, provider_request_id__gt="")
        .filter(due)
        .order_by(F("next_poll_at").asc(nulls_first=True), "pk")
    )


def publications_claim_for_poll(*, now: Any = None, limit: int | None = None) -> list[str]:
    """Claim due ``processing`` publications for one poller; returns their ids.

    ``FOR UPDATE SKIP LOCKED``: concurrent pollers take disjoint rows without waiting. The claim
    itself records the poll (attempt count, time) and pushes ``next_poll_at`` out by the backoff,
    so once committed no other poller sees the row as due while this one asks upload-post —
    and the HTTP call happens outside the transaction, holding no lock.
    """
    now = now or timezone.now()
    limit = limit or settings.SOCIALS_STATUS_POLL_BATCH
    with transaction.atomic():
        rows = list(
            _due_publications(now)
            .select_for_update(skip_locked=True)
            .values_list("pk", "status_polls")[:limit]
        )
        for pk, polls in rows:
            Publication.objects.filter(pk=pk).update(
                status_polls=polls + 1, last_polled_at=now, next_poll_at=now + poll_delay(polls + 1)
            )
    return [str(pk) for pk, _ in rows]


def publication_poll_status(*, publication_id: Any, actor: str, now: Any = None) -> str:
    """Ask upload-post for a claimed publication's status and act on a final answer.

    A final answer goes through :func:`publication_complete` — the webhook's own service — so a
    webhook arriving before, after or twice changes nothing more. Not final (or upload-post
    unreachable): the claim already rescheduled it, unless it has been processing longer than
    SOCIALS_STATUS_POLL_MAX_AGE_SECONDS, then it fails with ``provider_status_timeout``.
    Returns ``published``, ``failed``, ``timed_out`` or ``processing``.
    """
    now = now or timezone.now()
    publication = Publication.objects.select_related("social").get(pk=publication_id)
    if publication.is_finished or not publication.provider_request_id:
        return str(publication.status)
    outcome = _status_of(publication)
    if outcome is not None and outcome.final:
        done = _complete_from_status(publication, outcome, actor=actor)
        if done is not None and done.is_finished:
            return str(done.status)
    if _poll_expired(publication, now):
        return _fail_status_timeout(publication, actor=actor, now=now)
    return "processing"


def _status_of(publication: Publication) -> StatusOutcome | None:
    request_id = str(publication.provider_request_id)
    try:
        return publisher_for(publication).status(request_id, platform=publication.platform)
    except (ProviderError, InvalidInput) as exc:
        # Kept processing (the claim rescheduled it): upload-post may answer next time, and the
        # maximum age bounds how long we keep asking.
        logger.warning("status poll of publication %s: %s", publication.pk, exc.message)
        Publication.objects.filter(pk=publication.pk, status=PublicationStatus.PROCESSING).update(
            error=f"status poll: {exc.message}"[:2000]
        )
        return None


def _complete_from_status(
    publication: Publication, outcome: StatusOutcome, *, actor: str
) -> Publication | None:
    try:
        return publication_complete(
            actor=actor,
            success=outcome.state == "completed",
            request_id=publication.provider_request_id,
            url=outcome.url,
            error=outcome.error,
            response={"status_poll": outcome.response},
        )
    except (InvalidInput, NotFound) as exc:  # e.g. a URL that isn't http(s): wait for the webhook
        logger.warning("status poll of publication %s not applied: %s", publication.pk, exc.message)
        return None


def _poll_expired(publication: Publication, now: Any) -> bool:
    since = publication.started_at or publication.requested_at
    return (now - since).total_seconds() > settings.SOCIALS_STATUS_POLL_MAX_AGE_SECONDS


def _fail_status_timeout(publication: Publication, *, actor: str, now: Any) -> str:
    hours = settings.SOCIALS_STATUS_POLL_MAX_AGE_SECONDS / 3600
    reason = (
        f"{STATUS_TIMEOUT_CODE}: upload-post gave no final status for request "
        f"{publication.provider_request_id} within {hours:g} h ({publication.status_polls} polls)"
    )
    done = _publication_fail(publication, reason=reason, actor=actor)
    # Another path (the webhook) may have finished it first: report what it really is.
    return "timed_out" if done.error == reason[:2000] else str(done.status)


def publications_poll_status(
    *, actor: str, now: Any = None, limit: int | None = None, dry_run: bool = False
) -> PollSummary:
    """Fallback for lost upload_completed webhooks: poll due ``processing`` publications.

    ``dry_run`` only lists what is due (no claim, no provider call, nothing written).
    """
    now = now or timezone.now()
    summary = PollSummary()
    if dry_run:
        rows = _due_publications(now).values_list("pk", flat=True)[
            : limit or settings.SOCIALS_STATUS_POLL_BATCH
        ]
        summary.due = [str(pk) for pk in rows]
        return summary
    summary.due = publications_claim_for_poll(now=now, limit=limit)
    for publication_id in summary.due:
        outcome = publication_poll_status(publication_id=publication_id, actor=actor, now=now)
        finished = (PublicationStatus.PUBLISHED, PublicationStatus.FAILED, "timed_out")
        counter = outcome if outcome in finished else "still_processing"
        setattr(summary, counter, getattr(summary, counter) + 1)
    if summary.due:
        logger.info("status poll: %s", summary)
    return summary
