"""Webhook services: intake, processing, the dead-letter queue and replay.

Every interface (the intake view, the API, the admin, ``replay_webhooks``, ``process_webhooks``,
the DLQ replay schedule) calls these functions. Time comes from a ``now`` argument (default: the
current time), so backoff and timestamp tolerance are testable with a controlled clock.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import json
import logging
import math
import random
import time
import traceback
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from myloware.lib.errors import DomainError, NotFound, RateLimited
from myloware.lib.metrics import WEBHOOK_DELIVERIES, WEBHOOK_PROCESSING, count_on_commit
from myloware.lib.redact import REDACTED, is_secret_header, redact_headers, redact_text
from myloware.lib.sql import execute_prepared
from webhooks.conf import ProviderConfig
from webhooks.handlers import HANDLERS, Outcome, ignored
from webhooks.idempotency import find_run_id, idempotency_key, unverified_key
from webhooks.models import (
    UNKNOWN_PROVIDER,
    EventStatus,
    PayloadDropReason,
    RejectedBodyBudget,
    SignatureStatus,
    VerificationFailureWindow,
    WebhookDLQ,
    WebhookEvent,
)
from webhooks.verification import Verdict, sign, verify

logger = logging.getLogger(__name__)

ALLOWED_CONTENT_TYPES = frozenset(
    {
        "application/json",
        "application/octet-stream",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    }
)
MAX_ERROR_LENGTH = 2000
MAX_TRACEBACK_LENGTH = 20_000


class UnsupportedMediaType(DomainError):
    http_status = 415
    code = "unsupported_media_type"


# --- configuration ----------------------------------------------------------------------------


def provider_config(slug: str) -> ProviderConfig:
    """The configuration of ``slug``; NotFound (404) for a provider nobody configured."""
    config = settings.WEBHOOK_PROVIDERS.get(slug)
    if config is None:
        raise NotFound(f"Unknown webhook provider {slug!r}", details={"provider": slug})
    return config


def check_content_type(content_type: str, *, body_size: int) -> None:
    """JSON (and ``+json``), ``application/octet-stream`` and form bodies; anything else is 415.

    An empty body has no media type to judge, so it may come without a Content-Type.
    """
    media = content_type.split(";", 1)[0].strip().lower()
    if not media and body_size == 0:
        return
    if media in ALLOWED_CONTENT_TYPES or (media.startswith("application/") and media.endswith("+json")):
        return
    raise UnsupportedMediaType(
        f"Unsupported content type {media or '(none)'!r}; send JSON, application/octet-stream or a form",
        details={"allowed": sorted(ALLOWED_CONTENT_TYPES)},
    )


# --- intake -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    """What the intake did: ``accepted``, ``duplicate`` (of ``event_id``), ``rejected`` (401) or
    ``unknown_provider`` (404); the last two were recorded as a rejected event."""

    outcome: str
    event_id: str
    signature_status: str
    reason: str


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # deep nesting is bad input, not a 500
        return None


def _no_nul(value: str) -> str:
    # PostgreSQL TEXT/JSONB cannot hold NUL; a header or query value carrying one must not 500.
    return value.replace("\x00", "\ufffd")


def redact_query(query: Mapping[str, str], config: ProviderConfig) -> dict[str, str]:
    """The callback URL's parameters as stored: the token and anything secret-looking redacted."""
    return {
        _no_nul(name): REDACTED
        if name == config.token_param or is_secret_header(name)
        else _no_nul(redact_text(value))
        for name, value in query.items()
    }


def _snapshot_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {_no_nul(name): _no_nul(value) for name, value in redact_headers(headers).items()}


# What is kept of an unauthenticated request's headers and query (each): values cut to
# _REJECTED_VALUE_CHARS, entries while the total stays within _REJECTED_SNAPSHOT_CHARS.
_REJECTED_VALUE_CHARS = 1024
_REJECTED_SNAPSHOT_CHARS = 8 * 1024
# The configuration of a slug nobody configured: its ?token= is redacted like the default's.
_UNKNOWN_CONFIG = ProviderConfig(slug=UNKNOWN_PROVIDER, scheme="standard")
_UNKNOWN_VERDICT = Verdict(SignatureStatus.INVALID, "unknown_provider")


def _bounded(snapshot: Mapping[str, str]) -> dict[str, str]:
    """A redacted snapshot cut to bounded size (cut after redaction, so no secret is half-kept)."""
    kept: dict[str, str] = {}
    size = 0
    for name, value in snapshot.items():
        name, value = name[:_REJECTED_VALUE_CHARS], value[:_REJECTED_VALUE_CHARS]
        size += len(name) + len(value)
        if size > _REJECTED_SNAPSHOT_CHARS:
            kept["…"] = f"{len(snapshot) - len(kept)} more not kept"
            break
        kept[name] = value
    return kept


def failure_client(address: str) -> str:
    """The key a sender's failed verifications are counted under: its address, an IPv6 one as
    its /64 network (one subscriber commonly holds a whole /64)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return _no_nul(address)[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _bucket(provider: str) -> str:
    return provider if provider in settings.WEBHOOK_PROVIDERS else UNKNOWN_PROVIDER


_FAILURES = (
    "SELECT window_start, failures FROM webhook_verification_failures WHERE provider = %s AND client = %s"
)


def webhook_intake_admit(*, provider: str, client: str, now: datetime | None = None) -> None:
    """Refuse a sender whose verifications of ``provider`` failed WEBHOOK_FAILURE_LIMIT times in
    the current window: RateLimited (429, Retry-After = the window's end). One indexed read, made
    before the body is read, so a refused flood costs neither the body nor a write."""
    rows = execute_prepared(_FAILURES, [_bucket(provider), failure_client(client)])
    if not rows:
        return
    window = VerificationFailureWindow(window_start=rows[0][0], failures=rows[0][1])
    now = now or timezone.now()
    if not window.refuses(now):
        return
    retry_after = max(1, math.ceil((window.ends_at() - now).total_seconds()))
    raise RateLimited(
        f"Too many deliveries that failed verification from this address; retry in {retry_after} s",
        retry_after=retry_after,
    )


def intake_body_limit(provider: str) -> int:
    """How many bytes of a delivery to ``provider`` are read at most (413 beyond)."""
    config = settings.WEBHOOK_PROVIDERS.get(provider)
    return config.max_body if config else settings.WEBHOOK_MAX_BODY


# The intake's one statement for a verified delivery. Concurrent duplicates wait for the first
# insert to commit and then do nothing, so exactly one caller creates the row; the others read
# its id (visible: new statement, new snapshot). Prepared once per connection (myloware/lib/sql.py).
_INSERT_EVENT = """
INSERT INTO webhook_events (
    id, idempotency_key, provider, headers, payload, signature_status, received_at, status,
    run_id, idempotency_rule, signature_reason, query, content_type, attempts,
    payload_size, payload_sha256, client_address
) VALUES (%s, %s, %s, %s::jsonb, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, 0, %s, %s, %s)
ON CONFLICT (provider, idempotency_key) DO NOTHING
RETURNING id
"""
_EVENT_ID_BY_KEY = "SELECT id FROM webhook_events WHERE provider = %s AND idempotency_key = %s"

# A delivery that failed verification, in one statement: its body is kept while the provider's
# budget for this hour allows it (else only its size and SHA-256), the failure is counted for
# its sender (a window that ended starts again), and the event is stored as rejected. The row
# locks of the two upserts serialise concurrent failures, so the budget is never exceeded.
# ``last_kept`` carries the decision out of the upsert: RETURNING sees only the new row.
_INSERT_REJECTED = """
WITH budget AS (
    INSERT INTO webhook_rejected_body_budgets AS b
        (provider, hour, kept_bytes, bodies_kept, dropped_bytes, bodies_dropped, last_kept)
    SELECT %(bucket)s, %(hour)s, fresh.size * fresh.fits::int, fresh.fits::int,
           fresh.size * (NOT fresh.fits)::int, (NOT fresh.fits)::int, fresh.fits
    FROM (SELECT %(size)s::bigint AS size, %(size)s::bigint <= %(budget)s::bigint AS fits) AS fresh
    ON CONFLICT (provider, hour) DO UPDATE SET
        kept_bytes = b.kept_bytes
            + CASE WHEN b.kept_bytes + %(size)s::bigint <= %(budget)s::bigint THEN %(size)s::bigint ELSE 0 END,
        bodies_kept = b.bodies_kept + (b.kept_bytes + %(size)s::bigint <= %(budget)s::bigint)::int,
        dropped_bytes = b.dropped_bytes
            + CASE WHEN b.kept_bytes + %(size)s::bigint <= %(budget)s::bigint THEN 0 ELSE %(size)s::bigint END,
        bodies_dropped = b.bodies_dropped + (b.kept_bytes + %(size)s::bigint > %(budget)s::bigint)::int,
        last_kept = b.kept_bytes + %(size)s::bigint <= %(budget)s::bigint
    RETURNING last_kept
), failure AS (
    INSERT INTO webhook_verification_failures AS f (provider, client, window_start, failures)
    VALUES (%(bucket)s, %(client)s, %(now)s, 1)
    ON CONFLICT (provider, client) DO UPDATE SET
        window_start = CASE WHEN f.window_start > %(window_cutoff)s THEN f.window_start ELSE %(now)s END,
        failures = CASE WHEN f.window_start > %(window_cutoff)s THEN f.failures + 1 ELSE 1 END
    RETURNING failures
), event AS (
    INSERT INTO webhook_events (
        id, idempotency_key, provider, headers, payload, signature_status, received_at, status,
        idempotency_rule, signature_reason, query, content_type, attempts, error,
        payload_size, payload_sha256, payload_dropped_at, payload_drop_reason, client_address
    )
    SELECT %(id)s, %(key)s, %(bucket)s, %(headers)s::jsonb,
           CASE WHEN budget.last_kept THEN %(payload)s::bytea ELSE ''::bytea END,
           %(signature_status)s, %(now)s, %(status)s, %(rule)s, %(reason)s, %(query)s::jsonb,
           %(content_type)s, 0, %(error)s, %(size)s::bigint, %(sha256)s,
           CASE WHEN budget.last_kept THEN NULL ELSE %(now)s END,
           CASE WHEN budget.last_kept THEN NULL ELSE %(drop_reason)s END,
           %(client)s
    FROM budget
    ON CONFLICT (provider, idempotency_key) DO NOTHING
    RETURNING id
)
SELECT (SELECT id FROM event), (SELECT last_kept FROM budget), (SELECT failures FROM failure)
"""


def _existing_event_id(provider: str, key: str) -> str:
    existing = execute_prepared(_EVENT_ID_BY_KEY, [provider, key])
    if not existing:  # pragma: no cover - the conflicting row was deleted in between
        raise OperationalError("webhook event vanished during deduplication; retry")
    return str(existing[0][0])


def _insert_event(row: dict[str, Any]) -> tuple[str, bool]:
    """One atomic ``INSERT ... ON CONFLICT DO NOTHING`` of a verified delivery: the event's id,
    and whether it is new."""
    inserted = execute_prepared(
        _INSERT_EVENT,
        [
            row["id"],
            row["idempotency_key"],
            row["provider"],
            json.dumps(row["headers"]),
            row["payload"],
            SignatureStatus.VALID,
            row["received_at"],
            EventStatus.RECEIVED,
            row["run_id"],
            row["idempotency_rule"],
            "ok",
            json.dumps(row["query"]),
            row["content_type"],
            row["payload_size"],
            row["payload_sha256"],
            row["client_address"],
        ],
    )
    if inserted:
        return str(inserted[0][0]), True
    return _existing_event_id(row["provider"], row["idempotency_key"]), False


def _insert_rejected(row: dict[str, Any], verdict: Verdict, *, error: str | None) -> str:
    """Store a delivery that failed verification within the rejected-body budget, count the
    failure for its sender; the event's id (the earlier one for a repeated request)."""
    now: datetime = row["received_at"]
    ((event_id, kept, failures),) = execute_prepared(
        _INSERT_REJECTED,
        {
            "bucket": row["provider"],
            "hour": now.replace(minute=0, second=0, microsecond=0),
            "size": row["payload_size"],
            "budget": settings.WEBHOOK_REJECTED_BODY_BUDGET,
            "client": row["client_address"],
            "now": now,
            "window_cutoff": now - timedelta(seconds=settings.WEBHOOK_FAILURE_WINDOW),
            "id": row["id"],
            "key": row["idempotency_key"],
            "headers": json.dumps(_bounded(row["headers"])),
            "payload": row["payload"],
            "signature_status": verdict.status,
            "status": EventStatus.REJECTED,
            "rule": row["idempotency_rule"],
            "reason": verdict.reason,
            "query": json.dumps(_bounded(row["query"])),
            "content_type": row["content_type"],
            "error": error,
            "sha256": row["payload_sha256"],
            "drop_reason": PayloadDropReason.REJECTED_BUDGET,
        },
    )
    if not kept:
        logger.info(
            "webhook %s: rejected body of %d bytes not kept (over the budget)",
            row["provider"],
            row["payload_size"],
        )
    if failures == settings.WEBHOOK_FAILURE_LIMIT:
        logger.warning(
            "webhook %s: %d failed verifications from %s; its deliveries are refused (429) until the window ends",
            row["provider"],
            failures,
            row["client_address"],
        )
    if event_id is None:
        return _existing_event_id(row["provider"], row["idempotency_key"])
    return str(event_id)


def webhook_receive(
    *,
    provider: str,
    body: bytes,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    content_type: str = "application/json",
    client: str = "",
    now: datetime | None = None,
) -> Receipt:
    """Verify, deduplicate and durably store one delivery; the webhook loop processes it.

    A delivery that fails verification, or names a provider nobody configured, is stored as a
    ``rejected`` event under a key of its own (never the real delivery's key), without a run, in
    bounded space (its body only within the hourly budget), counted against its sender
    (``client``, see webhook_intake_admit) and never processed. Database errors propagate (the
    view answers 503 + Retry-After). UnsupportedMediaType (415) for a body a
    provider would not send (nothing stored).
    """
    config = settings.WEBHOOK_PROVIDERS.get(provider)
    if config:
        check_content_type(content_type, body_size=len(body))
    now = now or timezone.now()
    lowered = {name.lower(): value for name, value in headers.items()}
    payload = _parse_json(body)
    verdict = (
        verify(config, body=body, headers=lowered, query=query, payload=payload, now=now)
        if config
        else _UNKNOWN_VERDICT
    )
    key, rule = idempotency_key(
        handler=config.handler if config else "", headers=lowered, payload=payload, body=body
    )
    row = {
        "id": str(uuid.uuid4()),
        "idempotency_key": key if verdict.is_valid else unverified_key(key, body),
        "provider": config.slug if config else UNKNOWN_PROVIDER,
        "headers": _snapshot_headers(headers),
        "payload": body,
        "payload_size": len(body),
        "payload_sha256": hashlib.sha256(body).hexdigest(),
        "received_at": now,
        "idempotency_rule": rule,
        "query": redact_query(query, config or _UNKNOWN_CONFIG),
        "content_type": _no_nul(content_type)[:200],
        "client_address": failure_client(client),
    }
    count_on_commit(WEBHOOK_DELIVERIES.labels(provider=row["provider"], signature_status=verdict.status).inc)
    if not verdict.is_valid:
        error = None if config else f"unknown provider {_no_nul(provider)[:100]!r}"
        event_id = _insert_rejected(row, verdict, error=error)
        logger.warning(
            "webhook %s rejected (%s: %s), event %s",
            row["provider"],
            verdict.status,
            verdict.reason,
            event_id,
        )
        outcome = "rejected" if config else "unknown_provider"
        return Receipt(outcome, event_id, verdict.status, verdict.reason)
    event_id, created = _insert_event({**row, "run_id": find_run_id(query=query, payload=payload)})
    return Receipt("accepted" if created else "duplicate", event_id, verdict.status, verdict.reason)


# How long the hourly rejected-body counts stay visible in the admin.
BUDGET_HISTORY = timedelta(days=7)


def webhook_intake_counters_prune(*, now: datetime | None = None) -> dict[str, int]:
    """Delete failure windows that ended (their sender starts afresh anyway) and budget rows
    older than BUDGET_HISTORY; the rows deleted per table."""
    now = now or timezone.now()
    windows, _ = VerificationFailureWindow.objects.filter(
        window_start__lte=now - timedelta(seconds=settings.WEBHOOK_FAILURE_WINDOW)
    ).delete()
    budgets, _ = RejectedBodyBudget.objects.filter(hour__lt=now - BUDGET_HISTORY).delete()
    return {"failure_windows": windows, "budgets": budgets}


def webhook_failure_windows_lift(*, window_ids: Sequence[Any], actor: str) -> int:
    """Forget the failures counted for these senders (an operator lifts their 429 at once)."""
    lifted, _ = VerificationFailureWindow.objects.filter(pk__in=window_ids).delete()
    if lifted:
        logger.info("%d webhook failure limits lifted by %s", lifted, actor)
    return lifted


def webhook_events_expunge_bodies(*, event_ids: Sequence[Any], now: datetime) -> int:
    """Empty the body of these events (retention): the row, its size, SHA-256, headers and outcome
    stay, and the event says "body expunged on <day>". Bodies already dropped are left alone."""
    return WebhookEvent.objects.filter(pk__in=event_ids, payload_dropped_at__isnull=True).update(
        payload=b"", payload_dropped_at=now, payload_drop_reason=PayloadDropReason.RETENTION
    )


def dlq_remove_dead(*, entry_ids: Sequence[Any]) -> int:
    """Delete these dead-letter entries if still dead (retention); their events stay."""
    removed, _ = WebhookDLQ.objects.dead().filter(pk__in=entry_ids).delete()
    return removed


def webhook_events_delete_rejected(*, event_ids: Sequence[str], actor: str) -> int:
    """Delete the rejected (unauthenticated) events among ``event_ids``; verified events are the
    audit trail and are never deleted. The number deleted."""
    _, by_model = (
        WebhookEvent.objects.filter(pk__in=event_ids).exclude(signature_status=SignatureStatus.VALID).delete()
    )
    deleted = by_model.get(WebhookEvent._meta.label, 0)
    if deleted:
        logger.info("%d rejected webhook events deleted by %s", deleted, actor)
    return deleted


# --- the webhook loop: the event row is the queue ---------------------------------------------

# Claim the oldest waiting events nobody holds and count the attempt, in one statement; the row
# locks are held until the batch's outcome commits (or a rollback hands the events back).
_CLAIM_BATCH = """
WITH claimed AS (
    UPDATE webhook_events SET attempts = attempts + 1
    WHERE id IN (
        SELECT id FROM webhook_events
        WHERE status = %s AND signature_status = %s
        ORDER BY received_at, id
        LIMIT %s
        FOR UPDATE SKIP LOCKED
    )
    RETURNING *
)
SELECT * FROM claimed ORDER BY received_at, id
"""

# The batch's runs, locked up front in one order: two copies whose batches share runs then queue
# behind each other instead of each holding one run the other's handler waits for.
_LOCK_RUNS = "SELECT run_id FROM runs WHERE run_id = ANY(%s) ORDER BY run_id FOR UPDATE"

# An idle loop's look: one indexed read (the partial index of received events), prepared once.
_ANY_WAITING = "SELECT 1 FROM webhook_events WHERE status = %s AND signature_status = %s LIMIT 1"

# For the claim's transaction only. Its commit does not wait for its WAL flush: a crash can lose
# the last fraction of a second of processing together with the events' new status, which are
# then ``received`` again and processed again (handlers are idempotent); the intake's commits stay
# synchronous. And a copy frozen inside its batch (SIGSTOP, a stalled host) must not keep its
# claim: PostgreSQL ends a session idle inside a transaction for CLAIM_IDLE_TIMEOUT, which rolls
# the claim back for the other copies. Handlers only talk to the database, so a live copy is
# never idle that long within a batch.
CLAIM_IDLE_TIMEOUT = "5s"
_BATCH_SETTINGS = (
    "SELECT set_config('synchronous_commit', 'off', true), "
    "set_config('idle_in_transaction_session_timeout', %s, true)"
)


def webhook_events_process_batch(*, limit: int | None = None, now: datetime | None = None) -> int:
    """Claim up to ``limit`` (WEBHOOK_LOOP_BATCH) waiting valid events (``FOR UPDATE SKIP
    LOCKED``) and process them in the claiming transaction, each handler in its own savepoint;
    returns the number claimed.

    Any number of callers may run at once: each claims events nobody holds. Events of one run
    are handled in the order received, and the run's row lock (taken first, for every run of the
    batch) orders them against any other caller. A database error rolls the whole batch back:
    its events are ``received`` again, with the attempt uncounted.
    """
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_BATCH_SETTINGS, [CLAIM_IDLE_TIMEOUT])
            events = list(
                WebhookEvent.objects.raw(
                    _CLAIM_BATCH,
                    [EventStatus.RECEIVED, SignatureStatus.VALID, limit or settings.WEBHOOK_LOOP_BATCH],
                )
            )
            if not events:
                return 0
            cursor.execute(_LOCK_RUNS, [sorted({event.run_id for event in events if event.run_id})])
        done: list[tuple[WebhookEvent, Outcome]] = []
        for event in events:
            try:
                done.append((event, _run_handler(event)))
            except (OperationalError, InterfaceError):
                raise  # the database is gone: the batch rolls back and is claimed again
            except Exception as exc:
                _record_failure(event, exc, now=now or timezone.now())
        _record_outcomes(done, now=now or timezone.now())
    return len(events)


@dataclass
class LoopControl:
    """Set ``stop`` (a signal handler does) and the loop ends after its current batch."""

    stop: bool = False


class DatabaseUnreachable(Exception):
    """The loop could not reach the database for WEBHOOK_LOOP_DB_TIMEOUT seconds."""


def webhook_events_process_forever(
    *,
    control: LoopControl,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """The webhook loop (``manage.py process_webhooks``): process batches until ``control.stop``;
    returns the number of events processed.

    While nothing waits it looks every WEBHOOK_LOOP_POLL seconds with one indexed read (an idle
    loop opens no transaction); after a batch it looks again at once. A
    database error (a restart, a terminated or timed-out session) closes the connection and the
    loop tries again every second; once the database has been unreachable or failing for
    WEBHOOK_LOOP_DB_TIMEOUT seconds it raises DatabaseUnreachable, so that its supervisor
    restarts it (and says why).
    """
    processed = 0
    unreachable_since: float | None = None
    while not control.stop:
        try:
            waiting = execute_prepared(_ANY_WAITING, [EventStatus.RECEIVED, SignatureStatus.VALID])
            handled = webhook_events_process_batch() if waiting else 0
        except DatabaseError as exc:  # a restart, a terminated or timed-out session, an outage
            connection.close()
            unreachable_since = clock() if unreachable_since is None else unreachable_since
            down = clock() - unreachable_since
            if down >= settings.WEBHOOK_LOOP_DB_TIMEOUT:
                raise DatabaseUnreachable(
                    f"the database was unreachable or failing for {down:.0f} s: {exc}"
                ) from exc
            logger.warning("webhook loop: database unavailable (%s); retrying", exc)
            _pause(1.0, control, sleep)
            continue
        unreachable_since = None
        processed += handled
        if handled:
            logger.debug("webhook loop: processed %d events", handled)
        if not handled:  # nothing waits, or the other copies hold it all
            _pause(settings.WEBHOOK_LOOP_POLL, control, sleep)
    return processed


def _pause(seconds: float, control: LoopControl, sleep: Callable[[float], None]) -> None:
    """Sleep in short steps so a stop request is seen within a tenth of a second (the signal
    handler only sets a flag: anything more in signal context can deadlock)."""
    left = seconds
    while left > 0 and not control.stop:
        step = min(left, 0.1)
        sleep(step)
        left -= step


# --- processing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessResult:
    """``processed``, ``ignored``, ``failed``, ``dead`` (failed and parked) or ``skipped``."""

    event_id: str
    outcome: str
    error: str = ""


def backoff_delay(retry_count: int, *, rng: random.Random | None = None) -> timedelta:
    """``min(base * 2**retry_count, cap)`` seconds, spread by ±jitter so retries don't stampede."""
    base, cap = settings.WEBHOOK_DLQ_BACKOFF_BASE, settings.WEBHOOK_DLQ_BACKOFF_CAP
    delay = min(base * 2 ** min(retry_count, 32), cap)
    jitter = settings.WEBHOOK_DLQ_JITTER
    factor = 1 + (rng or random).uniform(-jitter, jitter) if jitter > 0 else 1.0
    return timedelta(seconds=max(1.0, delay * factor))


def _handler_for(event: WebhookEvent) -> Any:
    if (event.query or {}).get(TEST_DELIVERY_PARAM):
        return lambda _event: ignored("test delivery from the console: verified and stored, not processed")
    config = settings.WEBHOOK_PROVIDERS.get(event.provider)
    if config is None:
        return lambda _event: ignored(f"provider {event.provider!r} is no longer configured")
    handler = HANDLERS.get(config.handler)
    if handler is None:
        return lambda _event: ignored(f"no handler for provider {event.provider!r}; stored only")
    return handler


def scrub(text: str) -> str:
    """Secrets out of stored error text: known patterns, plus every configured webhook secret."""
    text = redact_text(text)
    for config in settings.WEBHOOK_PROVIDERS.values():
        for secret in config.secrets:
            if len(secret) >= 6:
                text = text.replace(secret, REDACTED)
    return text


def _error_text(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return scrub(str(message))[:MAX_ERROR_LENGTH]


def _record_failure(event: WebhookEvent, exc: BaseException, *, now: datetime) -> ProcessResult:
    """Create or update the event's one DLQ entry and mark the event failed (event row locked)."""
    error = _error_text(exc)
    error_class = f"{type(exc).__module__}.{type(exc).__qualname__}"
    trace = scrub("".join(traceback.format_exception(exc)))[-MAX_TRACEBACK_LENGTH:]
    entry = (
        WebhookDLQ.objects.select_for_update()
        .filter(provider=event.provider, idempotency_key=event.idempotency_key)
        .first()
    )
    retry_count = 0 if entry is None else entry.retry_count + 1
    # Attempts so far in this DLQ life: the first failure plus every failed replay.
    dead_at = (entry.dead_at if entry else None) or (
        now if retry_count + 1 >= settings.WEBHOOK_DLQ_MAX_ATTEMPTS else None
    )
    fields = {
        "event": event,
        "headers": event.headers,
        "payload": bytes(event.payload),
        "error": error,
        "error_class": error_class,
        "traceback": trace,
        "retry_count": retry_count,
        "last_error_at": now,
        "next_retry_at": None if dead_at else now + backoff_delay(retry_count),
        "dead_at": dead_at,
        "updated_at": now,
    }
    if entry is None:
        WebhookDLQ.objects.create(provider=event.provider, idempotency_key=event.idempotency_key, **fields)
    else:
        WebhookDLQ.objects.filter(pk=entry.pk).update(**fields)
    WebhookEvent.objects.filter(pk=event.pk).update(status=EventStatus.FAILED, error=error, processed_at=None)
    logger.warning("webhook event %s (%s) failed: %s: %s", event.pk, event.provider, error_class, error)
    return ProcessResult(str(event.pk), "dead" if dead_at else "failed", error)


def _run_handler(event: WebhookEvent) -> Outcome:
    """The provider's handler on a claimed (row-locked) event, inside a savepoint: its effects
    are all or nothing."""
    handler = _handler_for(event)
    with transaction.atomic():
        outcome: Outcome = handler(event)
    return outcome


def _record_outcomes(done: Sequence[tuple[WebhookEvent, Outcome]], *, now: datetime) -> None:
    """Mark handled events with their outcome and drop their DLQ entries: one UPDATE per
    distinct outcome (a batch's are nearly all alike) and one DELETE."""
    if not done:
        return
    by_outcome: dict[tuple[str, str | None], list[Any]] = {}
    for event, outcome in done:
        by_outcome.setdefault((outcome.status, scrub(outcome.note) or None), []).append(event.pk)
    for (status, error), ids in by_outcome.items():
        WebhookEvent.objects.filter(pk__in=ids).update(status=status, processed_at=now, error=error)
    for event, _ in done:
        waited = (now - event.received_at).total_seconds()
        count_on_commit(functools.partial(WEBHOOK_PROCESSING.labels(provider=event.provider).observe, waited))
    entries = Q()
    for event, _ in done:
        entries |= Q(provider=event.provider, idempotency_key=event.idempotency_key)
    WebhookDLQ.objects.filter(entries).delete()


def _process_claimed(event: WebhookEvent, *, now: datetime) -> ProcessResult:
    """Run the handler on a claimed (row-locked) event; record the outcome."""
    try:
        outcome = _run_handler(event)
    except (OperationalError, InterfaceError):
        raise  # the database is gone: nothing can be recorded; the replay is retried later
    except Exception as exc:
        return _record_failure(event, exc, now=now)
    _record_outcomes([(event, outcome)], now=now)
    return ProcessResult(str(event.pk), str(outcome.status), outcome.note)


def _claim(event_id: str, statuses: Sequence[str]) -> WebhookEvent | None:
    """Conditional claim: ``UPDATE ... WHERE status IN (...)``; 0 rows -> someone else had it.

    The UPDATE's row lock is held until the caller's transaction ends, so a concurrent claim
    waits and then re-checks the status (already processed: nothing to do). An event whose body
    retention expunged is never claimed: there is nothing left to process.
    """
    claimed = WebhookEvent.objects.filter(
        pk=event_id,
        signature_status=SignatureStatus.VALID,
        status__in=statuses,
        payload_dropped_at__isnull=True,
    ).update(attempts=F("attempts") + 1)
    return WebhookEvent.objects.get(pk=event_id) if claimed else None


REPROCESSABLE = [EventStatus.RECEIVED, EventStatus.FAILED, EventStatus.IGNORED, EventStatus.PROCESSED]


def webhook_event_reprocess(*, event_id: str, actor: str, now: datetime | None = None) -> ProcessResult:
    """Run processing again on a stored valid event (operator action; handlers are idempotent).

    Invalid or missing-signature events are never processed: they are skipped.
    """
    with transaction.atomic():
        event = _claim(event_id, REPROCESSABLE)
        if event is None:
            return ProcessResult(
                str(event_id), "skipped", "not a valid (authenticated) event, or its body was expunged"
            )
        logger.info("webhook event %s reprocessed by %s", event_id, actor)
        return _process_claimed(event, now=now or timezone.now())


# --- dead-letter queue ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplayResult:
    """``processed``/``ignored`` (entry removed), ``failed`` (rescheduled), ``dead``, ``busy``
    (another worker holds it), ``missing`` (no stored event to replay)."""

    entry_id: str
    event_id: str
    provider: str
    outcome: str
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome in (EventStatus.PROCESSED, EventStatus.IGNORED)


def _replay_locked(entry: WebhookDLQ, *, now: datetime) -> ReplayResult:
    """Re-run processing on the stored event of a locked entry (never re-posts the request)."""
    event = (
        WebhookEvent.objects.filter(pk=entry.event_id).first()
        if entry.event_id
        else WebhookEvent.objects.filter(
            provider=entry.provider, idempotency_key=entry.idempotency_key
        ).first()
    )
    if event is None or event.signature_status != SignatureStatus.VALID:
        return ReplayResult(str(entry.pk), "", entry.provider, "missing", "no stored valid event to replay")
    # Any status: an event reprocessed meanwhile is simply processed again (idempotent handlers).
    claimed = _claim(str(event.pk), REPROCESSABLE)
    if claimed is None:  # pragma: no cover - filtered above
        return ReplayResult(str(entry.pk), str(event.pk), entry.provider, "missing")
    result = _process_claimed(claimed, now=now)
    return ReplayResult(str(entry.pk), str(event.pk), entry.provider, result.outcome, result.error)


def dlq_replay(*, entry_id: str, actor: str, now: datetime | None = None) -> ReplayResult:
    """Replay one entry now, dead or not (operator, API). ``busy`` when another worker holds it."""
    with transaction.atomic():
        entry = WebhookDLQ.objects.select_for_update(skip_locked=True).filter(pk=entry_id).first()
        if entry is None:
            if not WebhookDLQ.objects.filter(pk=entry_id).exists():
                raise NotFound(
                    f"Dead-letter entry {entry_id} does not exist (already replayed or discarded?)"
                )
            return ReplayResult(str(entry_id), "", "", "busy", "another worker is replaying this entry")
        logger.info("DLQ entry %s replayed by %s", entry_id, actor)
        return _replay_locked(entry, now=now or timezone.now())


def dlq_replay_due(
    *, actor: str, limit: int | None = None, provider: str | None = None, now: datetime | None = None
) -> list[ReplayResult]:
    """Replay due entries one by one, each claimed with ``SELECT ... FOR UPDATE SKIP LOCKED``.

    One entry per transaction: the row lock is held while it is processed, so several workers
    (threads, processes, machines) never process one entry twice and never wait on each other.
    """
    limit = limit or settings.WEBHOOK_DLQ_BATCH_SIZE
    results: list[ReplayResult] = []
    seen: list[Any] = []
    for _ in range(limit):
        moment = now or timezone.now()
        with transaction.atomic():
            candidates = WebhookDLQ.objects.due(moment).exclude(pk__in=seen)
            if provider:
                candidates = candidates.filter(provider=provider)
            entry = (
                candidates.select_for_update(skip_locked=True)
                .order_by(F("next_retry_at").asc(nulls_first=True), "created_at")
                .first()
            )
            if entry is None:
                break
            seen.append(entry.pk)
            results.append(_replay_locked(entry, now=moment))
    if results:
        logger.info("DLQ replay by %s: %d entries", actor, len(results))
    return results


def dlq_select(
    *, ids: list[str] | None = None, provider: str | None = None, include_dead: bool = False, limit: int = 100
) -> list[WebhookDLQ]:
    """Entries an operator asked for (by id, or by a configured provider), oldest first; dead ones
    on request."""
    entries = WebhookDLQ.objects.all()
    if ids:
        entries = entries.filter(pk__in=ids)
    if provider:
        entries = entries.filter(provider=provider_config(provider).slug)
    if not include_dead:
        entries = entries.live()
    return list(entries.order_by("created_at")[:limit])


def dlq_replay_many(*, entry_ids: list[str], actor: str, now: datetime | None = None) -> list[ReplayResult]:
    """Replay the given entries one by one (admin actions, the command, a whole error group)."""
    results = []
    for entry_id in entry_ids:
        try:
            results.append(dlq_replay(entry_id=str(entry_id), actor=actor, now=now))
        except NotFound as exc:
            results.append(ReplayResult(str(entry_id), "", "", "missing", exc.message))
    return results


def dlq_park(*, entry_id: str, actor: str, now: datetime | None = None) -> bool:
    """Park an entry as dead (never retried automatically); False if it already was."""
    now = now or timezone.now()
    parked = (
        WebhookDLQ.objects.live().filter(pk=entry_id).update(dead_at=now, next_retry_at=None, updated_at=now)
    )
    if parked:
        logger.info("DLQ entry %s parked by %s", entry_id, actor)
    return bool(parked)


def dlq_discard(*, entry_id: str, actor: str) -> bool:
    """Delete an entry for good; its event stays ``failed`` with a note of who discarded it."""
    with transaction.atomic():
        entry = WebhookDLQ.objects.select_for_update().filter(pk=entry_id).first()
        if entry is None:
            return False
        if entry.event_id:
            WebhookEvent.objects.filter(pk=entry.event_id).update(
                error=f"{entry.error} (discarded from the dead-letter queue by {actor})"[:MAX_ERROR_LENGTH]
            )
        entry.delete()
    logger.info("DLQ entry %s discarded by %s", entry_id, actor)
    return True


def dlq_error_groups(*, limit: int = 50) -> list[dict[str, Any]]:
    """The seed's "most common DLQ errors": entries grouped by provider and error, with counts."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT provider, error, COUNT(*) AS occurrences,
                   COUNT(*) FILTER (WHERE dead_at IS NOT NULL) AS dead,
                   MAX(last_error_at) AS last_error_at
            FROM webhook_dlq
            GROUP BY provider, error
            ORDER BY occurrences DESC, provider, error
            LIMIT %s
            """,
            [limit],
        )
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def dlq_replay_group(
    *, provider: str, error: str, actor: str, now: datetime | None = None
) -> list[ReplayResult]:
    """Replay every entry (dead ones too) of one provider + error group, e.g. after a fix."""
    ids = list(
        WebhookDLQ.objects.filter(provider=provider, error=error)
        .order_by("created_at")
        .values_list("pk", flat=True)
    )
    return dlq_replay_many(entry_ids=[str(pk) for pk in ids], actor=actor, now=now)


# --- test deliveries ------------------------------------------------------------------------

# Marks a console test delivery in the callback URL: stored and verified like any other, never processed.
TEST_DELIVERY_PARAM = "myloware_test_delivery"


@dataclass(frozen=True)
class TestDelivery:
    provider: str
    http_status: int
    outcome: str  # the intake's answer: accepted, rejected, duplicate, or an error code
    event_id: str | None
    detail: str = ""


def webhook_test_delivery(
    *, provider: str, base_url: str, actor: str, now: datetime | None = None
) -> TestDelivery:
    """Sign a sample payload with the provider's secret and POST it to our own intake over real
    HTTP, as the provider would: proves the URL, the secret and the scheme end to end."""
    config = provider_config(provider)
    now = now or timezone.now()
    nonce = uuid.uuid4().hex
    payload = {
        "type": "myloware.test_delivery",
        "event": "myloware.test_delivery",
        "id": f"test-{nonce}",
        "data": {"taskId": f"test-{nonce}"},
        "sent_by": actor,
        "sent_at": now.isoformat(),
    }
    body = json.dumps(payload, separators=(",", ":")).encode()
    if not config.secrets:
        return TestDelivery(provider, 0, "not_sent", None, f"no secret configured for {provider}")
    signed = sign(config, body=body, payload=payload, now=now)
    url = f"{base_url.rstrip('/')}/api/v1/webhooks/{provider}"
    try:
        response = httpx.post(
            url,
            content=body,
            headers={"Content-Type": "application/json", **signed["headers"]},
            params={TEST_DELIVERY_PARAM: "1", **signed["query"]},
            timeout=settings.WEBHOOK_TEST_DELIVERY_TIMEOUT,
        )
    except httpx.HTTPError as exc:
        return TestDelivery(provider, 0, "unreachable", None, f"{url}: {type(exc).__name__}: {exc}")
    answer = _json_object(response)
    error = _json_object_in(answer, "error")
    details = _json_object_in(error, "details")
    outcome = answer.get("status") or error.get("code") or "unknown"
    detail = " — ".join(str(part) for part in (error.get("message"), details.get("reason")) if part)
    event_id = answer.get("event_id") or details.get("event_id")
    logger.info("test delivery to %s by %s: %s %s", provider, actor, response.status_code, outcome)
    return TestDelivery(provider, response.status_code, str(outcome), event_id, detail)


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _json_object_in(container: dict[str, Any], key: str) -> dict[str, Any]:
    value = container.get(key)
    return value if isinstance(value, dict) else {}
