"""upload-post HTTP client (and the local-development fake).

What we assume of the API (https://docs.upload-post.com, "Upload Video"; see docs/socials.md):

- ``POST {UPLOAD_POST_BASE_URL}/api/upload``, header ``Authorization: Apikey <key>``,
  multipart form: ``user`` (the upload-post profile = our ``account_id``), ``platform[]``
  (our ``socials.provider``, e.g. ``tiktok``), ``title`` (caption + hashtags), ``video`` (file),
  ``privacy_level`` when set, ``async_upload`` (``true``/``false``);
- the idempotency key travels as the ``Idempotency-Key`` header so a retried request can be
  recognised (upload-post documents no such field; unknown headers are harmless);
- a synchronous answer carries ``results.<platform>.url`` (or a top-level ``url``); an
  asynchronous one carries ``request_id`` and the ``upload_completed`` webhook finishes it;
  ``success: false`` with ``error``/``message`` is a refusal.
- ``GET {UPLOAD_POST_BASE_URL}/api/uploadposts/status?request_id=...`` (same header) reports an
  asynchronous upload: top-level ``status`` pending/queued/processing/in_progress/completed/failed
  and per-platform ``results``; the post's address field is not documented, so ``url`` /
  ``post_url`` / ... are tried (docs/socials.md, "Fallback status poll").

Retries: timeouts, transport errors, 429 and 5xx are retried with exponential backoff
(``UPLOAD_POST_MAX_RETRIES`` times); any other 4xx is final at once.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import random
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

import httpx
from django.conf import settings

from myloware.lib.redact import redact_text

logger = logging.getLogger(__name__)

UPLOAD_PATH = "/api/upload"
STATUS_PATH = "/api/uploadposts/status"
# Top-level states of GET /api/uploadposts/status that mean "not finished yet".
STATUS_PENDING = frozenset({"pending", "queued", "processing", "in_progress"})
FAKE_HOST = "fake-upload-post.invalid"
_SECRET_KEY_HINTS = ("key", "token", "secret", "password", "authorization")


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process: building one (loading the CA bundle) costs ~50 ms,
    which httpx would otherwise pay for every client."""
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


class ProviderError(Exception):
    """upload-post refused or failed. ``transient`` is True when retrying later may succeed."""

    def __init__(self, message: str, *, transient: bool, status: int | None = None, response: Any = None):
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.status = status
        self.response = response


@dataclass
class UploadOutcome:
    """A URL when the post is live now; otherwise ``request_id`` to match the later webhook."""

    url: str | None
    request_id: str | None
    response: dict[str, Any]
    fake: bool = False
    attempts: int = 1


@dataclass
class StatusOutcome:
    """upload-post's answer about an asynchronous upload, reduced to what we act on.

    ``state`` is ``processing`` (ask again later), ``completed`` (``url`` set) or ``failed``
    (``error`` set).
    """

    state: str
    response: dict[str, Any]
    url: str | None = None
    error: str | None = None

    @property
    def final(self) -> bool:
        return self.state in ("completed", "failed")


@dataclass
class UploadRequest:
    user: str
    platform: str
    title: str
    privacy: str | None
    idempotency_key: str
    video: IO[bytes] | None = None
    filename: str = "video.mp4"
    content_type: str = "video/mp4"
    async_upload: bool = True
    extra: dict[str, str] = field(default_factory=dict)


class UploadPostClient:
    label = "upload-post"
    fake = False

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None = None,
        transport: httpx.BaseTransport | None = None,
        max_retries: int | None = None,
        backoff_seconds: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self._api_key = api_key
        self.base_url = (base_url or settings.UPLOAD_POST_BASE_URL).rstrip("/")
        self.max_retries = settings.UPLOAD_POST_MAX_RETRIES if max_retries is None else max_retries
        self.backoff = settings.UPLOAD_POST_BACKOFF_MS / 1000 if backoff_seconds is None else backoff_seconds
        self._sleep = sleep
        self._timeout = httpx.Timeout(
            settings.UPLOAD_POST_TIMEOUT, connect=settings.UPLOAD_POST_CONNECT_TIMEOUT
        )
        self._transport = transport

    def upload(self, request: UploadRequest) -> UploadOutcome:
        """Send the upload, retrying transient failures; raises ProviderError when it can't."""
        last_error: ProviderError | None = None
        for attempt in range(1, self.max_retries + 2):
            try:
                outcome = self._attempt(request)
                outcome.attempts = attempt
                return outcome
            except ProviderError as exc:
                if not exc.transient:
                    raise
                last_error = exc
                if attempt <= self.max_retries:
                    delay = self.backoff * 2 ** (attempt - 1) * random.uniform(0.8, 1.2)
                    logger.warning(
                        "upload-post attempt %s failed (%s); retrying in %.2fs", attempt, exc, delay
                    )
                    self._sleep(delay)
        assert last_error is not None
        raise last_error

    def _attempt(self, request: UploadRequest) -> UploadOutcome:
        if request.video is not None:
            request.video.seek(0)
        data: dict[str, Any] = {
            "user": request.user,
            "platform[]": [request.platform],
            "title": request.title,
            "async_upload": "true" if request.async_upload else "false",
            **request.extra,
        }
        if request.privacy:
            data["privacy_level"] = request.privacy
        files = {"video": (request.filename, request.video, request.content_type)} if request.video else None
        headers = {"Authorization": f"Apikey {self._api_key}", "Idempotency-Key": request.idempotency_key}
        try:
            with httpx.Client(
                timeout=self._timeout, transport=self._transport, trust_env=False, verify=tls_context()
            ) as client:
                response = client.post(self.base_url + UPLOAD_PATH, data=data, files=files, headers=headers)
        except httpx.TimeoutException:
            raise ProviderError("upload-post timed out", transient=True) from None
        except httpx.TransportError as exc:
            raise ProviderError(f"upload-post unreachable: {type(exc).__name__}", transient=True) from None
        return _interpret(response, request.platform)

    def status(self, request_id: str, *, platform: str | None = None) -> StatusOutcome:
        """Ask upload-post how an asynchronous upload is doing; one attempt, no retries.

        The caller is a periodic poll: its next run is the retry, so a transient failure here
        only raises ProviderError (``transient`` says whether asking again may help).
        """
        headers = {"Authorization": f"Apikey {self._api_key}"}
        # A status read is small: a short timeout keeps one slow answer from stalling a sweep of
        # many publications past the django-q2 task timeout.
        timeout = httpx.Timeout(settings.SOCIALS_STATUS_POLL_TIMEOUT)
        try:
            with httpx.Client(
                timeout=timeout, transport=self._transport, trust_env=False, verify=tls_context()
            ) as client:
                response = client.get(
                    self.base_url + STATUS_PATH, params={"request_id": request_id}, headers=headers
                )
        except httpx.TimeoutException:
            raise ProviderError("upload-post status timed out", transient=True) from None
        except httpx.TransportError as exc:
            raise ProviderError(
                f"upload-post status unreachable: {type(exc).__name__}", transient=True
            ) from None
        return _interpret_status(response, platform)


def _interpret_status(response: httpx.Response, platform: str | None) -> StatusOutcome:
    body = _json_or_text(response)
    status = response.status_code
    if status == 429 or status >= 500:
        raise ProviderError(f"upload-post status answered {status}", transient=True, status=status)
    if status >= 400 or not isinstance(body, dict):
        # 404 = upload-post knows no such request (documented as status "not_found").
        raise ProviderError(
            f"upload-post status refused ({status}): {_reason(body)}",
            transient=False,
            status=status,
            response=body,
        )
    state = str(body.get("status") or "").lower()
    result = _platform_result(body.get("results"), platform)
    platform_failed = result.get("success") is False or str(result.get("status") or "").lower() == "failed"
    if platform_failed or state == "failed":
        return StatusOutcome("failed", body, error=_reason(result if _has_reason(result) else body))
    url = next((result[key] for key in _URL_KEYS if isinstance(result.get(key), str)), None)
    if state == "completed" and url:
        return StatusOutcome("completed", body, url=url)
    # pending/queued/processing/in_progress, an unknown state, or "completed" without a URL
    # yet (the webhook or a later poll may bring it): not final.
    return StatusOutcome("processing", body)


# Where a per-platform status result may carry the post's address.
_URL_KEYS = ("url", "post_url", "platform_post_url", "publish_url")


def _platform_result(results: Any, platform: str | None) -> dict[str, Any]:
    """Our platform's entry of ``results`` (a list of ``{platform, ...}`` or a dict by platform)."""
    if isinstance(results, dict):
        entry = results.get(platform) if platform else next(iter(results.values()), None)
        return entry if isinstance(entry, dict) else {}
    if isinstance(results, list):
        for entry in results:
            if isinstance(entry, dict) and (platform is None or entry.get("platform") == platform):
                return entry
    return {}


def _has_reason(body: dict[str, Any]) -> bool:
    return any(body.get(key) for key in ("error", "message", "detail"))


def _interpret(response: httpx.Response, platform: str) -> UploadOutcome:
    body = _json_or_text(response)
    status = response.status_code
    if status == 429 or status >= 500:
        raise ProviderError(f"upload-post answered {status}", transient=True, status=status, response=body)
    if status >= 400:
        raise ProviderError(
            f"upload-post refused the upload ({status}): {_reason(body)}",
            transient=False,
            status=status,
            response=body,
        )
    if not isinstance(body, dict):
        raise ProviderError(
            "upload-post answered with a body that is not JSON", transient=False, status=status
        )
    if body.get("success") is False:
        raise ProviderError(
            f"upload-post refused the upload: {_reason(body)}", transient=False, status=status, response=body
        )
    result = (body.get("results") or {}).get(platform) if isinstance(body.get("results"), dict) else None
    if isinstance(result, dict) and result.get("success") is False:
        raise ProviderError(
            f"{platform} refused the upload: {_reason(result)}", transient=False, status=status, response=body
        )
    url = (result or {}).get("url") if isinstance(result, dict) else None
    url = url or body.get("url")
    request_id = body.get("request_id") or body.get("job_id")
    if not url and not request_id:
        raise ProviderError(
            "upload-post answered without a URL or a request_id",
            transient=False,
            status=status,
            response=body,
        )
    return UploadOutcome(url=url, request_id=str(request_id) if request_id else None, response=body)


def _json_or_text(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"text": redact_text(response.text[:2000])}


def _reason(body: Any) -> str:
    if isinstance(body, dict):
        for key in ("error", "message", "detail", "text"):
            if body.get(key):
                return redact_text(str(body[key]))[:500]
    return "no reason given"


def safe_response(value: Any) -> Any:
    """The provider's response made safe to store and show: secret-looking keys masked."""
    if isinstance(value, dict):
        return {
            key: "[redacted]"
            if any(hint in str(key).lower() for hint in _SECRET_KEY_HINTS)
            else safe_response(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [safe_response(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


class FakeUploadPostClient:
    """Clearly labelled stand-in for local development (DEBUG only): nothing leaves the machine.

    Answers synchronously with a deterministic URL derived from the idempotency key, on the
    reserved ``.invalid`` domain so it can never be mistaken for (or resolve to) a real post.
    """

    label = "upload-post FAKE (local development)"
    fake = True

    def upload(self, request: UploadRequest) -> UploadOutcome:
        digest = hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:16]
        url = f"https://{FAKE_HOST}/{request.platform}/@{request.user}/video/{digest}"
        response = {
            "success": True,
            "fake": True,
            "results": {request.platform: {"success": True, "url": url}},
        }
        return UploadOutcome(url=url, request_id=None, response=response, fake=True)

    def status(self, request_id: str, *, platform: str | None = None) -> StatusOutcome:
        """Always "completed", with a URL derived from the request id (deterministic)."""
        platform = platform or "tiktok"
        digest = hashlib.sha256(request_id.encode()).hexdigest()[:16]
        url = f"https://{FAKE_HOST}/{platform}/status/{digest}"
        response = {
            "fake": True,
            "request_id": request_id,
            "status": "completed",
            "results": [{"platform": platform, "success": True, "url": url}],
        }
        return StatusOutcome("completed", response, url=url)
