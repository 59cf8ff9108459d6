"""Fallback status poll: asynchronous publications whose upload_completed webhook never arrives
are finished by asking upload-post (GET /api/uploadposts/status) through the webhook's own
service, publication_complete."""

from __future__ import annotations

import io
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from artifacts.models import Artifact
from runs.models import Run, RunTransition
from socials import services
from socials.models import Publication
from socials.schedules import SCHEDULES
from socials.upload_post import FakeUploadPostClient
from tests.race import race
from tests.socials.conftest import API_KEY

pytestmark = pytest.mark.django_db
POST_URL = "https://www.tiktok.com/@acct/video/7300000000000000042"
COMPLETED = {
    "request_id": "req-42",
    "status": "completed",
    "completed": 1,
    "total": 1,
    "results": [{"platform": "tiktok", "success": True, "url": POST_URL}],
}
IN_PROGRESS = {
    "request_id": "req-42",
    "status": "in_progress",
    "results": [{"platform": "tiktok", "success": True, "message": "Queued"}],
}


def _make_processing(
    upload_post: Any, make_social: Any, make_running_run: Any, publish: Any, n: int = 1
) -> list[Any]:
    make_social()
    publications = []
    for i in range(n):
        run = make_running_run(render_url=upload_post.video_url(f"final-{i}.mp4"))
        request_id = "req-42" if n == 1 else f"req-{i}"
        upload_post.answer(200, {"success": True, "request_id": request_id, "message": "processing"})
        publication, _ = publish(run.run_id)
        assert publication.status == "processing" and publication.provider_request_id == request_id
        publications.append(publication)
    return publications


@pytest.fixture
def processing(upload_post: Any, make_social: Any, make_running_run: Any, publish: Any, settings: Any) -> Any:
    settings.UPLOAD_POST_ASYNC = True
    [publication] = _make_processing(upload_post, make_social, make_running_run, publish)
    return publication


def _poll(minutes: float = 2, **kwargs: Any) -> services.PollSummary:
    return services.publications_poll_status(
        actor="test", now=timezone.now() + timedelta(minutes=minutes), **kwargs
    )


def test_a_processing_publication_is_not_polled_before_the_first_interval(
    processing: Any, upload_post: Any
) -> None:
    assert processing.next_poll_at is not None
    assert _poll(minutes=0).due == []
    assert upload_post.status_requests() == []


def test_completed_status_finishes_the_publication_exactly_like_the_webhook(
    processing: Any, upload_post: Any
) -> None:
    upload_post.answer_status("req-42", 200, COMPLETED)
    summary = _poll()
    assert summary.due == [str(processing.pk)] and summary.published == 1
    [asked] = upload_post.status_requests("req-42")
    assert asked.method == "GET" and asked.headers["Authorization"] == f"Apikey {API_KEY}"
    processing.refresh_from_db()
    assert processing.status == "published" and processing.publish_url == POST_URL
    run = Run.objects.get(pk=processing.run_id)
    assert run.status == "published" and run.result["publishUrls"] == [POST_URL]
    [artifact] = Artifact.objects.filter(run_id=run.run_id, type="publish.url")
    assert artifact.url == POST_URL and artifact.persona == "quinn" and artifact.provider == "upload-post"
    assert artifact.checksum == processing.idempotency_key
    assert artifact.metadata["provider_request_id"] == "req-42"
    assert API_KEY not in str(artifact.metadata) and API_KEY not in str(processing.provider_response)


def test_the_webhook_arriving_after_the_poll_makes_no_duplicate(processing: Any, upload_post: Any) -> None:
    upload_post.answer_status("req-42", 200, COMPLETED)
    assert _poll().published == 1
    payload = {"event": "upload_completed", "job_id": "req-42", "result": {"success": True, "url": POST_URL}}
    for _ in range(2):
        done = services.publication_complete(
            job_id="req-42", success=True, url=POST_URL, actor="webhook:upload-post", response=payload
        )
        assert done.status == "published"
    assert Artifact.objects.filter(run_id=processing.run_id, type="publish.url").count() == 1
    assert Run.objects.get(pk=processing.run_id).result["publishUrls"] == [POST_URL]
    # and a finished publication is never polled again
    assert _poll(minutes=600).due == []


def test_failed_status_fails_the_run_with_the_providers_reason(processing: Any, upload_post: Any) -> None:
    upload_post.answer_status(
        "req-42",
        200,
        {
            "request_id": "req-42",
            "status": "failed",
            "results": [{"platform": "tiktok", "success": False, "error": "Video shorter than 3 s"}],
        },
    )
    assert _poll().failed == 1
    processing.refresh_from_db()
    assert processing.status == "failed" and processing.error == "Video shorter than 3 s"
    run = Run.objects.get(pk=processing.run_id)
    assert run.status == "failed" and run.result["errors"][-1]["message"] == "Video shorter than 3 s"
    last = RunTransition.objects.filter(run_id=run.run_id).order_by("-created_at").first()
    assert last is not None and last.reason == "publish failed: Video shorter than 3 s"
    assert not Artifact.objects.filter(type="publish.url").exists()


def test_still_processing_is_rescheduled_with_a_growing_capped_backoff(
    processing: Any, upload_post: Any, settings: Any
) -> None:
    upload_post.answer_status("req-42", 200, IN_PROGRESS)
    start = timezone.now()
    first = start + timedelta(minutes=2)
    assert services.publications_poll_status(actor="test", now=first).still_processing == 1
    processing.refresh_from_db()
    assert processing.status == "processing" and processing.status_polls == 1
    assert processing.last_polled_at == first and processing.next_poll_at == first + timedelta(minutes=2)
    # Not due again one minute later; due after two.
    assert services.publications_poll_status(actor="test", now=first + timedelta(minutes=1)).due == []
    second = first + timedelta(minutes=2)
    assert services.publications_poll_status(actor="test", now=second).still_processing == 1
    processing.refresh_from_db()
    assert processing.status_polls == 2 and processing.next_poll_at == second + timedelta(minutes=4)
    assert len(upload_post.status_requests("req-42")) == 2
    assert Run.objects.get(pk=processing.run_id).status == "running"
    assert [services.poll_delay(n).total_seconds() for n in range(4)] == [60, 120, 240, 480]
    assert services.poll_delay(50).total_seconds() == settings.SOCIALS_STATUS_POLL_MAX_INTERVAL_SECONDS


def test_an_unreachable_status_endpoint_keeps_it_processing_and_notes_why(
    processing: Any, upload_post: Any
) -> None:
    upload_post.answer_status("req-42", 503, {"error": "Failed to get status"})
    assert _poll().still_processing == 1
    processing.refresh_from_db()
    assert processing.status == "processing" and processing.status_polls == 1
    assert processing.error.startswith("status poll: upload-post status answered 503")


def test_too_old_fails_with_provider_status_timeout(processing: Any, upload_post: Any, settings: Any) -> None:
    upload_post.answer_status("req-42", 200, IN_PROGRESS)
    late = processing.started_at + timedelta(seconds=settings.SOCIALS_STATUS_POLL_MAX_AGE_SECONDS + 60)
    summary = services.publications_poll_status(actor="test", now=late)
    assert summary.timed_out == 1 and len(upload_post.status_requests("req-42")) == 1  # asked once more
    processing.refresh_from_db()
    assert processing.status == "failed" and processing.error.startswith("provider_status_timeout")
    run = Run.objects.get(pk=processing.run_id)
    assert run.status == "failed" and run.result["errors"][-1]["message"].startswith(
        "provider_status_timeout"
    )
    # A webhook arriving afterwards changes nothing.
    late_hook = services.publication_complete(job_id="req-42", success=True, url=POST_URL, actor="webhook")
    assert late_hook.status == "failed" and not Artifact.objects.filter(type="publish.url").exists()


def test_a_row_that_went_processing_before_the_poll_existed_is_polled(
    processing: Any, upload_post: Any
) -> None:
    Publication.objects.filter(pk=processing.pk).update(next_poll_at=None)
    upload_post.answer_status("req-42", 200, COMPLETED)
    assert _poll().published == 1


def test_the_command_dry_run_lists_and_the_real_run_polls(processing: Any, upload_post: Any) -> None:
    Publication.objects.filter(pk=processing.pk).update(next_poll_at=timezone.now() - timedelta(seconds=1))
    upload_post.answer_status("req-42", 200, COMPLETED)
    out = io.StringIO()
    call_command("poll_publications", "--dry-run", stdout=out)
    assert str(processing.pk) in out.getvalue() and "1 publication due" in out.getvalue()
    assert upload_post.status_requests() == []
    processing.refresh_from_db()
    assert processing.status_polls == 0
    out = io.StringIO()
    call_command("poll_publications", "--limit", "5", stdout=out)
    assert "published 1" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("poll_publications", "--limit", "0")


def test_the_fake_client_answers_status_deterministically(
    make_social: Any, make_running_run: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    fake = FakeUploadPostClient()
    first, again = fake.status("req-x", platform="tiktok"), fake.status("req-x", platform="tiktok")
    assert (
        first.state == "completed"
        and first.url == again.url
        and first.url.startswith("https://fake-upload-post.invalid/")
    )
    assert fake.status("req-y", platform="tiktok").url != first.url
    # Through the poll: a fake publication left processing is finished with that URL.
    settings.DEBUG = True
    make_social(credential_ref="")
    run = make_running_run(render_url="https://cdn.example.com/final.mp4")
    with django_capture_on_commit_callbacks(execute=False):
        publication, _ = services.publication_request(run_id=run.run_id, actor="test")
    Publication.objects.filter(pk=publication.pk).update(
        status="processing", provider_request_id="req-x", started_at=timezone.now()
    )
    assert _poll().published == 1
    publication.refresh_from_db()
    assert publication.status == "published" and publication.publish_url == first.url and publication.fake


def test_the_poll_is_declared_as_a_schedule() -> None:
    [entry] = [s for s in SCHEDULES if s["name"] == "socials.publications_poll_status"]
    assert entry["func"] == "socials.tasks.publications_poll_status_run" and entry["minutes"] == 2
    from socials import tasks

    assert callable(tasks.publications_poll_status_run)


@pytest.mark.django_db(transaction=True)
def test_two_racing_pollers_poll_each_publication_once(
    upload_post: Any, make_social: Any, make_running_run: Any, publish: Any, settings: Any
) -> None:
    settings.UPLOAD_POST_ASYNC = True
    publications = _make_processing(upload_post, make_social, make_running_run, publish, n=4)
    for i in range(4):  # slow answers keep both pollers busy at the same time
        upload_post.answer_status(f"req-{i}", 200, {"status": "in_progress", "results": []}, delay=0.2)
    now = timezone.now() + timedelta(minutes=2)
    # Both connected before the start: a real overlap.
    summaries = race(
        2, lambda i: services.publications_poll_status(actor=f"poller-{i}", now=now), connect_first=True
    )
    assert all(isinstance(s, services.PollSummary) for s in summaries), summaries
    claimed = summaries[0].due + summaries[1].due
    assert sorted(claimed) == sorted(str(p.pk) for p in publications)  # disjoint and complete
    for i in range(4):
        assert len(upload_post.status_requests(f"req-{i}")) == 1
    assert set(Publication.objects.values_list("status_polls", flat=True)) == {1}


@pytest.mark.django_db(transaction=True)
def test_a_poller_skips_rows_another_poller_holds_without_waiting(
    upload_post: Any, make_social: Any, make_running_run: Any, publish: Any, settings: Any
) -> None:
    settings.UPLOAD_POST_ASYNC = True
    publications = _make_processing(upload_post, make_social, make_running_run, publish, n=4)
    held = {str(p.pk) for p in publications[:2]}
    locked, release = threading.Event(), threading.Event()

    def holder() -> None:  # another poller in the middle of its claim transaction
        try:
            with transaction.atomic():
                list(Publication.objects.select_for_update().filter(pk__in=held))
                locked.set()
                release.wait(timeout=20)
        finally:
            connection.close()

    summaries: list[Any] = []

    def poller() -> None:
        try:
            summaries.append(
                services.publications_poll_status(actor="poller", now=timezone.now() + timedelta(minutes=2))
            )
        finally:
            connection.close()

    holding = threading.Thread(target=holder)
    holding.start()
    assert locked.wait(timeout=10)
    polling = threading.Thread(target=poller)
    polling.start()
    polling.join(timeout=10)
    finished_while_held = not polling.is_alive()
    release.set()
    holding.join(timeout=10)
    polling.join(timeout=10)
    assert finished_while_held, "the poller waited for locked rows instead of skipping them"
    assert set(summaries[0].due) == {str(p.pk) for p in publications[2:]}
    assert all(len(upload_post.status_requests(f"req-{i}")) == (0 if i < 2 else 1) for i in range(4))
