"""Asynchronous publications: upload-post answers with a request_id, the upload_completed webhook
finishes the publication through socials.services.publication_complete."""

from __future__ import annotations

from typing import Any

import pytest

from artifacts.models import Artifact
from myloware.lib.errors import InvalidInput, NotFound
from runs.models import Run
from runs.services import run_transition
from socials.services import publication_complete

pytestmark = pytest.mark.django_db
POST_URL = "https://www.tiktok.com/@acct/video/7300000000000000001"


@pytest.fixture
def processing(upload_post: Any, make_social: Any, make_running_run: Any, publish: Any, settings: Any) -> Any:
    settings.UPLOAD_POST_ASYNC = True
    make_social()
    run = make_running_run(render_url=upload_post.video_url())
    upload_post.answer(200, {"success": True, "request_id": "req-42", "message": "processing"})
    publication, _ = publish(run.run_id)
    assert upload_post.uploads()[0].fields["async_upload"] == ["true"]
    return publication


def test_async_answer_leaves_the_publication_processing_and_the_run_running(processing: Any) -> None:
    assert processing.status == "processing" and processing.provider_request_id == "req-42"
    assert Run.objects.get(pk=processing.run_id).status == "running"
    assert not Artifact.objects.filter(type="publish.url").exists()


def test_completion_publishes_once_even_when_delivered_twice(processing: Any) -> None:
    payload = {"event": "upload_completed", "job_id": "req-42", "result": {"success": True, "url": POST_URL}}
    for _ in range(2):
        done = publication_complete(
            job_id="req-42", url=POST_URL, success=True, actor="webhook:upload-post", response=payload
        )
        assert done.status == "published" and done.publish_url == POST_URL
    run = Run.objects.get(pk=processing.run_id)
    assert run.status == "published" and run.result["publishUrls"] == [POST_URL]
    [artifact] = Artifact.objects.filter(run_id=run.run_id, type="publish.url")
    assert artifact.url == POST_URL and artifact.persona == "quinn" and artifact.provider == "upload-post"
    assert artifact.metadata["provider_request_id"] == "req-42"


def test_completion_failure_fails_the_run_with_the_providers_reason(processing: Any) -> None:
    done = publication_complete(
        request_id="req-42", success=False, error="TikTok rejected: spam", actor="webhook:upload-post"
    )
    assert done.status == "failed" and done.error == "TikTok rejected: spam"
    run = Run.objects.get(pk=processing.run_id)
    assert run.status == "failed" and run.result["errors"][-1]["message"] == "TikTok rejected: spam"
    # A late success for a finished publication changes nothing.
    late = publication_complete(request_id="req-42", success=True, url=POST_URL, actor="webhook:upload-post")
    assert late.status == "failed" and not Artifact.objects.filter(type="publish.url").exists()


def test_completion_for_an_unknown_request_is_404(processing: Any) -> None:
    with pytest.raises(NotFound):
        publication_complete(job_id="nope", success=True, url=POST_URL, actor="webhook:upload-post")
    with pytest.raises(InvalidInput):
        publication_complete(success=True, url=POST_URL, actor="webhook:upload-post")


def test_success_without_an_http_url_is_refused(processing: Any) -> None:
    for url in (None, "javascript:alert(1)", "file:///etc/passwd"):
        with pytest.raises(InvalidInput):
            publication_complete(job_id="req-42", success=True, url=url, actor="webhook:upload-post")
    assert Run.objects.get(pk=processing.run_id).status == "running"


def test_completion_after_the_run_was_cancelled_records_the_post_without_forcing_the_run(
    processing: Any,
) -> None:
    run_transition(run_id=processing.run_id, to="cancelled", actor="operator")
    done = publication_complete(job_id="req-42", success=True, url=POST_URL, actor="webhook:upload-post")
    assert done.status == "published" and "cancelled" in done.error
    assert Run.objects.get(pk=processing.run_id).status == "cancelled"


def test_an_artifact_already_recorded_by_the_webhook_handler_is_not_duplicated(processing: Any) -> None:
    from artifacts.services import artifact_create

    artifact_create(
        run_id=processing.run_id, type="publish.url", url=POST_URL, provider="upload-post", checksum="handler"
    )
    publication_complete(job_id="req-42", success=True, url=POST_URL, actor="webhook:upload-post")
    assert Artifact.objects.filter(run_id=processing.run_id, type="publish.url").count() == 1
