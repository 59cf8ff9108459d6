"""Webhook services: intake, processing, the dead-letter queue and replay.

Every interface (the intake view, the API, the admin, ``replay_webhooks``, ``process_webhooks``,
the DLQ replay schedule) calls these functions. Time comes from a ``now`` argument (default: the
current time), so backoff and timestamp tolerance are testable with a controlled clock.
"""

from __future__ import annotations

import json
import logging
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

from myloware.lib.errors import DomainError, NotFound
from myloware.lib.redact import REDACTED, is_secret_header, redact_headers, redact_text
from myloware.lib.sql import execute_prepared
from webhooks.conf import ProviderConfig
from webhooks.handlers import HANDLERS, Outcome, ignored
from webhooks.idempotency import find_run_id, idempotency_key, unverified_key
from webhooks.models import EventStatus, SignatureStatus, WebhookDLQ, WebhookEvent
from webhooks.verification import sign, verify

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
    """What the intake did: ``accepted``, ``duplicate`` (of ``event_id``) or ``rejected`` (401)."""

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


# The intake's one statement. Concurrent duplicates wait for the first insert to commit and then
# do nothing, so exactly one caller creates the row; the others read its id (visible: new
# statement, new snapshot). Prepared once per connection (myloware/lib/sql.py).
_INSERT_EVENT = """
INSERT INTO webhook_events (
    id, idempotency_key, provider, headers, payload, signature_status, received_at, status,
    run_id, idempotency_rule, signature_reason, query, content_type, attempts
) VALUES (%s, %s, %s, %s::jsonb, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, 0)
ON CONFLICT (provider, idempotency_key) DO NOTHING
RETURNING id
"""
_EVENT_ID_BY_KEY = "SELECT id FROM webhook_events WHERE provider = %s AND idempotency_key = %s"


def _insert_event(row: dict[str, Any]) -> tuple[str, bool]:
    """One atomic ``INSERT ... ON CONFLICT DO NOTHING``: the event's id, and whether it is new."""
    inserted = execute_prepared(
        _INSERT_EVENT,
        [
            row["id"],
            row["idempotency_key"],
            row["provider"],
            json.dumps(row["headers"]),
            row["payload"],
            row["signature_status"],
            row["received_at"],
            row["status"],
            row["run_id"],
            row["idempotency_rule"],
            row["signature_reason"],
            json.dumps(row["query"]),
            row["content_type"],
        ],
    )
    if inserted:
        return str(inserted[0][0]), True
    existing = execute_prepared(_EVENT_ID_BY_KEY, [row["provider"], row["idempotency_key"]])
    if not existing:  # pragma: no cover - the conflicting row was deleted in between
        raise OperationalError("webhook event vanished during deduplication; retry")
    return str(existing[0][0]), False


def webhook_receive(
    *,
    provider: str,
    body: bytes,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    content_type: str = "",
    now: datetime | None = None,
) -> Receipt:
    """Verify, deduplicate and durably store one delivery; the webhook loop processes it.

    Requests that fail verification are stored for audit under a key of their own (they never
    take the real delivery's key) and are never processed. Raises NotFound for an unknown
    provider; database errors propagate (the view answers 503 + Retry-After).
    """
    config = provider_config(provider)
    now = now or timezone.now()
    lowered = {name.lower(): value for name, value in headers.items()}
    payload = _parse_json(body)
    verdict = verify(config, body=body, headers=lowered, query=query, payload=payload, now=now)
    key, rule = idempotency_key(handler=config.handler, headers=lowered, payload=payload, body=body)
    if not verdict.is_valid:
        key = unverified_key(key, body)
    row = {
        "id": str(uuid.uuid4()),
        "idempotency_key": key,
        "provider": config.slug,
        "headers": _snapshot_headers(headers),
        "payload": body,
        "signature_status": verdict.status,
        "received_at": now,
        "status": EventStatus.RECEIVED if verdict.is_valid else EventStatus.REJECTED,
        "run_id": find_run_id(query=query, payload=payload),
        "idempotency_rule": rule,
        "signature_reason": verdict.reason,
        "query": redact_query(query, config),
        "content_type": _no_nul(content_type)[:200],
    }
    event_id, created = _insert_event(row)
    if not verdict.is_valid:
        logger.warning(
            "webhook %s rejected (%s: %s), event %s", config.slug, verdict.status, verdict.reason, event_id
        )
        return Receipt("rejected", event_id, verdict.status, verdict.reason)
    return Receipt("accepted" if created else "duplicate", event_id, verdict.status, verdict.reason)


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
    waits and then re-checks the status (already processed: nothing to do).
    """
    claimed = WebhookEvent.objects.filter(
        pk=event_id, signature_status=SignatureStatus.VALID, status__in=statuses
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
            return ProcessResult(str(event_id), "skipped", "not a valid (authenticated) event")
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
    """Entries an operator asked for (by id, or by provider), oldest first; dead ones on request."""
    entries = WebhookDLQ.objects.all()
    if ids:
        entries = entries.filter(pk__in=ids)
    if provider:
        entries = entries.filter(provider=provider)
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
