"""One implementation of "a run was published" (socials.services.run_post_record), shared by our
publications and the upload-post webhook's fallback: a post is recorded on a run once, whichever
path and however many deliveries, also when they race."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from django.db import connection

from artifacts.models import Artifact, ArtifactType
from runs.models import Run, RunStatus, RunTransition
from socials.services import run_post_record
from webhooks.handlers import handle_upload_post
from webhooks.models import EventStatus, WebhookEvent

ROUNDS = 10
THREADS = 8
POST_URL = "https://www.tiktok.com/@acct/video/7300000000000000042"


def completion_event(run_id: str, job_id: str, url: str = POST_URL) -> WebhookEvent:
    """An upload_completed callback for an upload we did not start (no publication matches its
    job id): the handler's fallback records it on the run named by the callback URL."""
    body = {
        "event": "upload_completed",
        "job_id": job_id,
        "platform": "tiktok",
        "result": {"success": True, "url": url},
    }
    return WebhookEvent(provider="upload-post", run_id=run_id, payload=json.dumps(body).encode())


def published_posts(run_id: str) -> tuple[list[str | None], list[str], int]:
    run = Run.objects.get(pk=run_id)
    urls = sorted(  # artifacts of one transaction share their creation time: no order to rely on
        Artifact.objects.filter(run_id=run_id, type=ArtifactType.PUBLISH_URL).values_list("url", flat=True)
    )
    moves = RunTransition.objects.filter(run_id=run_id, to_status=RunStatus.PUBLISHED).count()
    return urls, (run.result or {}).get("publishUrls", []), moves


@pytest.mark.django_db
def test_a_post_our_publication_recorded_is_not_added_again_by_a_fallback_completion(
    make_social: Any, make_running_run: Any, publish: Any, settings: Any
) -> None:
    settings.DEBUG = True  # the fake publisher answers with the post's URL at once
    make_social(credential_ref="")
    run = make_running_run(render_url="https://cdn.example.com/final.mp4")
    publication, _ = publish(run.run_id)
    assert publication.status == "published"

    # The same post reported again by a completion no publication matches (another job id).
    outcome = handle_upload_post(completion_event(run.run_id, "job-elsewhere", url=publication.publish_url))

    assert outcome.status == EventStatus.PROCESSED and "already has the post" in outcome.note
    assert published_posts(run.run_id) == ([publication.publish_url], [publication.publish_url], 1)


@pytest.mark.django_db
def test_the_fallback_records_a_post_once_however_often_it_is_delivered(make_running_run: Any) -> None:
    run = make_running_run()
    first = handle_upload_post(completion_event(run.run_id, "job-1"))
    again = [handle_upload_post(completion_event(run.run_id, job)) for job in ("job-1", "job-2")]

    assert first.status == EventStatus.PROCESSED and first.note == ""
    assert all("already has the post" in outcome.note for outcome in again)
    assert published_posts(run.run_id) == ([POST_URL], [POST_URL], 1)
    artifact = Artifact.objects.get(run_id=run.run_id, type=ArtifactType.PUBLISH_URL)
    assert (artifact.provider, artifact.persona, artifact.checksum) == (
        "upload-post",
        "quinn",
        "upload-post:job-1:tiktok",
    )


@pytest.mark.django_db
def test_a_post_on_a_run_that_can_no_longer_be_published_is_kept_and_says_why(make_running_run: Any) -> None:
    run = make_running_run()
    first = run_post_record(
        run_id=run.run_id, url=POST_URL, actor="test", checksum="c1", metadata={}, reason="first"
    )
    second = run_post_record(
        run_id=run.run_id, url=POST_URL + "1", actor="test", checksum="c2", metadata={}, reason="second"
    )
    assert first.recorded and first.not_published == ""
    assert second.recorded and "cannot move from published to published" in second.not_published
    assert published_posts(run.run_id) == ([POST_URL, POST_URL + "1"], [POST_URL, POST_URL + "1"], 1)


def _record(run_id: str, index: int, barrier: threading.Barrier, outcomes: list[Any]) -> None:
    """Half the racers are webhook fallbacks, half are direct records (a publication finishing)."""
    try:
        barrier.wait(timeout=30)
        if index % 2:
            outcomes.append(handle_upload_post(completion_event(run_id, f"job-{index}")).note == "")
        else:
            outcomes.append(
                run_post_record(
                    run_id=run_id,
                    url=POST_URL,
                    actor="race",
                    checksum=f"pub-{index}",
                    metadata={},
                    reason="race",
                ).recorded
            )
    except Exception as exc:  # collected and asserted by the test
        outcomes.append(repr(exc))
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_racing_completions_of_one_post_record_it_once(make_running_run: Any) -> None:
    for round_number in range(ROUNDS):
        run = make_running_run()
        barrier = threading.Barrier(THREADS)
        outcomes: list[Any] = []
        threads = [
            threading.Thread(target=_record, args=(run.run_id, index, barrier, outcomes))
            for index in range(THREADS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

        assert sorted(outcomes, key=repr) == [False] * (THREADS - 1) + [True], (round_number, outcomes)
        assert published_posts(run.run_id) == ([POST_URL], [POST_URL], 1), round_number
