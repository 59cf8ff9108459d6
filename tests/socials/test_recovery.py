"""Publications whose job was lost (worker died mid-upload, enqueue lost) are run again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from runs.models import Run
from socials import services
from socials.models import Publication
from socials.schedules import SCHEDULES

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(
    upload_post: Any, make_social: Any, make_running_run: Any, django_capture_on_commit_callbacks: Any
) -> Any:
    make_social()
    run = make_running_run(render_url=upload_post.video_url())
    with django_capture_on_commit_callbacks(execute=False):  # the enqueue is "lost"
        publication, _ = services.publication_request(run_id=run.run_id, actor="test")
    return publication


def _sweep(django_capture_on_commit_callbacks: Any, minutes_later: int = 16) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return services.publications_recover_stale(
            actor="test", now=timezone.now() + timedelta(minutes=minutes_later)
        )


def test_a_lost_enqueue_is_enqueued_again(
    queued: Any, upload_post: Any, django_capture_on_commit_callbacks: Any
) -> None:
    assert _sweep(django_capture_on_commit_callbacks, minutes_later=1) == 0
    assert _sweep(django_capture_on_commit_callbacks) == 1
    queued.refresh_from_db()
    assert queued.status == "published" and len(upload_post.uploads()) == 1


def test_an_upload_whose_worker_died_is_retried_with_the_same_key(
    queued: Any, upload_post: Any, django_capture_on_commit_callbacks: Any
) -> None:
    Publication.objects.filter(pk=queued.pk).update(status="uploading", started_at=timezone.now(), attempts=1)
    assert _sweep(django_capture_on_commit_callbacks, minutes_later=5) == 0  # not stale yet
    assert _sweep(django_capture_on_commit_callbacks) == 1
    queued.refresh_from_db()
    assert queued.status == "published" and queued.attempts == 2
    assert upload_post.uploads()[0].headers["Idempotency-Key"] == queued.idempotency_key


def test_an_upload_that_keeps_dying_fails_the_run(
    queued: Any, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    Publication.objects.filter(pk=queued.pk).update(
        status="uploading", started_at=timezone.now(), attempts=settings.SOCIALS_PUBLISH_MAX_ATTEMPTS
    )
    assert _sweep(django_capture_on_commit_callbacks) == 0
    queued.refresh_from_db()
    assert queued.status == "failed" and "worker lost" in queued.error
    assert Run.objects.get(pk=queued.run_id).status == "failed"


def test_the_sweep_is_declared_as_a_schedule() -> None:
    assert SCHEDULES[0]["func"] == "socials.tasks.publications_recover_stale_run"
    from socials import tasks

    assert callable(tasks.publications_recover_stale_run)
