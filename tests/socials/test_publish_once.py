"""At most one successful publication per run: enforced by a partial unique index and by the run's
status checked under the run's row lock. Real threads, many rounds, a different caption each
(different idempotency keys, so only the run-level rules can stop a second post)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from artifacts.models import Artifact
from myloware.lib.errors import Conflict
from runs.models import Run
from socials import services
from socials.models import Publication, PublicationStatus
from tests.race import race

ROUNDS = 12
THREADS = 8
# A client that is told "a publication is in progress" tries again: it keeps requesting right
# up to the moment the first publication finishes, the window in which the bug published twice.
MAX_TRIES = 400
REFUSALS = {"publication_in_progress", "already_published", "conflict"}


def _publisher(run_id: str, caption: str) -> str:
    for _ in range(MAX_TRIES):
        try:
            _, created = services.publication_request(run_id=run_id, actor="race", caption=caption)
        except Conflict as exc:
            if exc.code != "publication_in_progress":
                return exc.code
            continue
        return "created" if created else "replayed"
    return "gave_up"


@pytest.mark.django_db(transaction=True)
def test_concurrent_publishes_with_different_captions_publish_the_run_once(
    make_social: Any, make_running_run: Any, settings: Any
) -> None:
    settings.DEBUG = True  # the fake publisher: the job runs inline on commit, no HTTP
    make_social(credential_ref="", rate_limit_window=0)
    for round_number in range(ROUNDS):
        run = make_running_run(render_url=f"https://cdn.example.com/{round_number}.mp4")
        outcomes = race(THREADS, lambda i, run_id=run.run_id: _publisher(run_id, f"caption {i}"))

        assert outcomes.count("created") == 1, (round_number, outcomes)
        assert set(outcomes) - {"created"} <= REFUSALS, (round_number, outcomes)
        publications = Publication.objects.filter(run_id=run.run_id)
        assert [p.status for p in publications] == [PublicationStatus.PUBLISHED], round_number
        assert publications.get().error == ""
        run.refresh_from_db()
        assert run.status == "published"
        assert len(run.result["publishUrls"]) == 1
        assert Artifact.objects.filter(run_id=run.run_id, type="publish.url").count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_second_live_publication_of_a_run(
    make_social: Any, make_running_run: Any, publish: Any, settings: Any
) -> None:
    settings.DEBUG = True
    social = make_social(credential_ref="")
    run = make_running_run(render_url="https://cdn.example.com/final.mp4")
    first, _ = publish(run.run_id, caption="first")
    assert first.status == PublicationStatus.PUBLISHED
    for status in (PublicationStatus.QUEUED, PublicationStatus.PUBLISHED):
        with pytest.raises(IntegrityError), transaction.atomic():
            Publication.objects.create(
                run_id=run.run_id,
                social=social,
                platform=social.provider,
                account_id=social.account_id,
                video_url=first.video_url,
                caption=f"another {status}",
                idempotency_key=f"mlw-pub-other-{status}",
                status=status,
                requested_at=timezone.now(),
            )
    # A failed attempt never blocks: it is history, not a post.
    Publication.objects.create(
        run_id=run.run_id,
        social=social,
        platform=social.provider,
        account_id=social.account_id,
        video_url=first.video_url,
        idempotency_key="mlw-pub-failed",
        status=PublicationStatus.FAILED,
        requested_at=timezone.now(),
    )


@pytest.mark.django_db
def test_a_published_run_refuses_another_caption_with_a_clear_409(
    make_social: Any, make_running_run: Any, publish: Any, settings: Any
) -> None:
    settings.DEBUG = True
    make_social(credential_ref="")
    run = make_running_run(render_url="https://cdn.example.com/final.mp4")
    publish(run.run_id, caption="first")
    with pytest.raises(Conflict) as exc:
        publish(run.run_id, caption="second")
    assert exc.value.details["current_status"] == "published"
    assert Publication.objects.filter(run_id=run.run_id).count() == 1


@pytest.mark.django_db
def test_a_publication_in_a_cancelled_run_stays_the_only_live_one(
    make_social: Any, make_running_run: Any, publish: Any, settings: Any
) -> None:
    """The run is re-checked under its lock: a request that read `running` before the run moved
    still sees the new status when it inserts."""
    settings.DEBUG = True
    make_social(credential_ref="")
    run = make_running_run(render_url="https://cdn.example.com/final.mp4")
    Run.objects.filter(run_id=run.run_id).update(status="cancelled")
    with pytest.raises(Conflict) as exc:
        publish(run.run_id, caption="late")
    assert exc.value.details["current_status"] == "cancelled"
    assert not Publication.objects.exists()


def _wait_for_a_lock_waiter() -> None:
    """Until another session of this database waits for a row lock (a condition, not a delay)."""
    deadline = time.monotonic() + 30
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)
    raise AssertionError("the publish request never waited for the run's lock")


@pytest.mark.django_db(transaction=True)
def test_the_run_status_is_checked_again_under_the_runs_lock(
    make_social: Any, make_running_run: Any, settings: Any
) -> None:
    """The request reads `running`, then the run is cancelled before it takes the lock: it must
    see the cancellation under the lock and insert nothing (else a cancelled run gets posted)."""
    settings.DEBUG = True
    make_social(credential_ref="")
    run = make_running_run(render_url="https://cdn.example.com/final.mp4")
    cancelled, release = threading.Event(), threading.Event()
    outcome: list[Any] = []

    def cancel_holding_the_lock() -> None:
        try:
            with transaction.atomic():
                Run.objects.select_for_update().get(run_id=run.run_id)
                Run.objects.filter(run_id=run.run_id).update(status="cancelled")
                cancelled.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    def request() -> None:
        try:
            services.publication_request(run_id=run.run_id, actor="race", caption="late")
            outcome.append("created")
        except Conflict as exc:
            outcome.append(exc)
        finally:
            connection.close()

    canceller = threading.Thread(target=cancel_holding_the_lock)
    canceller.start()
    assert cancelled.wait(timeout=30)
    requester = threading.Thread(target=request)
    requester.start()
    _wait_for_a_lock_waiter()  # it read `running` (the cancel is not committed) and now waits
    release.set()
    canceller.join(timeout=30)
    requester.join(timeout=30)
    assert len(outcome) == 1 and isinstance(outcome[0], Conflict), outcome
    assert outcome[0].details["current_status"] == "cancelled"
    assert not Publication.objects.exists()
