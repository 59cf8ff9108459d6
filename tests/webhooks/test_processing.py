"""Processing: provider handlers turn stored events into run/artifact effects, exactly once."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from artifacts.models import Artifact
from runs.models import Run, RunStatus
from tests.race import race
from tests.webhooks.conftest import (
    deliver,
    fixture_bytes,
    kieai_delivery,
    shotstack_delivery,
    sign_hmac_body,
    upload_post_delivery,
)
from webhooks.models import EventStatus, WebhookDLQ, WebhookEvent
from webhooks.services import webhook_event_reprocess, webhook_events_process_batch

pytestmark = pytest.mark.django_db


def event_of(response: Any) -> WebhookEvent:
    return WebhookEvent.objects.get(pk=response.json()["event_id"])


# --- kie.ai ----------------------------------------------------------------------------------------


def test_kieai_success_at_index_zero_marks_video_zero_and_keeps_the_rest_of_result(
    client: Client, make_run: Any
) -> None:
    run = make_run(result={"videos": [{"status": "pending"}, {"status": "pending"}], "ideas": ["a", "b"]})
    event = event_of(kieai_delivery(run.run_id).send(client))
    assert event.status == EventStatus.PROCESSED
    run.refresh_from_db()
    url = "https://tempfile.aiquickdraw.com/v/abcdef123456.mp4"
    assert run.result["videos"][0] == {"status": "generated", "url": url, "taskId": "veo_task_abcdef123456"}
    assert run.result["videos"][1] == {"status": "pending"}
    assert run.result["ideas"] == ["a", "b"]
    clip = Artifact.objects.get(run_id=run.run_id, type="clip")
    assert (clip.provider, clip.url, clip.metadata["videoIndex"]) == ("kieai", url, 0)


def test_kieai_index_from_the_top_level_metadata_and_the_query(client: Client, make_run: Any) -> None:
    run = make_run(result={})
    delivery = kieai_delivery(run.run_id, data__metadata={}, data__taskId="task_q")
    delivery.query += "&video_index=2"
    from tests.webhooks.conftest import sign_kieai

    delivery.headers = sign_kieai(delivery.body)
    assert event_of(delivery.send(client)).status == EventStatus.PROCESSED
    run.refresh_from_db()
    assert run.result["videos"][2]["status"] == "generated"
    assert run.result["videos"][:2] == [{}, {}]


def test_kieai_failure_callback_keeps_the_other_videos(client: Client, make_run: Any) -> None:
    generated = {"status": "generated", "url": "https://cdn.example.com/0.mp4"}
    run = make_run(result={"videos": [generated, {"status": "pending"}], "script": "keep me"})
    event = event_of(kieai_delivery(run.run_id, fixture="kieai_failure").send(client))
    assert event.status == EventStatus.PROCESSED
    run.refresh_from_db()
    assert run.result["videos"][0] == generated
    assert run.result["videos"][1]["status"] == "failed"
    assert "violating content policies" in run.result["videos"][1]["error"]
    assert run.result["script"] == "keep me"
    assert run.status == RunStatus.RUNNING  # video 0 succeeded: the run can still succeed
    error = Artifact.objects.get(run_id=run.run_id, type="error")
    assert error.metadata["code"] == 400


def test_kieai_failure_of_the_last_video_fails_the_run(client: Client, make_run: Any) -> None:
    run = make_run(result={"videos": [{"status": "failed"}, {"status": "pending"}]})
    kieai_delivery(run.run_id, fixture="kieai_failure").send(client)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED


def test_kieai_callback_never_moves_a_terminal_run(client: Client, make_run: Any) -> None:
    run = make_run(status=RunStatus.CANCELLED, result={"videos": [{"status": "failed"}, {}]})
    event = event_of(kieai_delivery(run.run_id, fixture="kieai_failure").send(client))
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert event.status == EventStatus.PROCESSED
    assert "cannot move" in event.error


def test_kieai_result_url_is_untrusted_input(client: Client, make_run: Any, settings: Any) -> None:
    run = make_run(result={})
    event = event_of(
        kieai_delivery(run.run_id, data__info={"resultUrls": ["http://169.254.169.254/x"]}).send(client)
    )
    assert event.status == EventStatus.FAILED
    assert "untrusted result URL" in event.error
    assert not Artifact.objects.filter(run_id=run.run_id).exists()
    settings.WEBHOOK_KIEAI_URL_HOSTS = ["aiquickdraw.com"]
    other = kieai_delivery(
        run.run_id, data__taskId="t2", data__info={"resultUrls": ["https://evil.example.com/v.mp4"]}
    )
    assert "not in WEBHOOK_KIEAI_URL_HOSTS" in event_of(other.send(client)).error
    allowed = kieai_delivery(run.run_id, data__taskId="t3")
    assert event_of(allowed.send(client)).status == EventStatus.PROCESSED


@pytest.mark.django_db(transaction=True)
def test_concurrent_callbacks_for_one_run_never_lose_updates(make_run: Any) -> None:
    run = make_run(result={"title": "keep"})
    deliveries = [
        kieai_delivery(run.run_id, data__taskId=f"task_{i}", data__metadata={"videoIndex": i})
        for i in range(8)
    ]
    statuses = race(len(deliveries), lambda i: deliveries[i].send(Client()).status_code)
    assert statuses == [200] * len(deliveries)
    run.refresh_from_db()
    assert [video["taskId"] for video in run.result["videos"]] == [f"task_{i}" for i in range(8)]
    assert run.result["title"] == "keep"


# --- Shotstack -------------------------------------------------------------------------------------


def test_shotstack_done_render_records_the_render_url(client: Client, make_run: Any) -> None:
    run = make_run(result={"videos": [{"status": "generated"}]})
    event = event_of(shotstack_delivery(run.run_id).send(client))
    assert event.status == EventStatus.PROCESSED
    run.refresh_from_db()
    artifact = Artifact.objects.get(run_id=run.run_id, type="render.url")
    assert run.result["renderUrl"] == artifact.url
    assert run.result["videos"] == [{"status": "generated"}]


def test_shotstack_failed_render_records_an_error_artifact(client: Client, make_run: Any) -> None:
    run = make_run()
    shotstack_delivery(run.run_id, "shotstack_edit_failed").send(client)
    error = Artifact.objects.get(run_id=run.run_id, type="error", provider="shotstack")
    assert "could not be downloaded" in error.metadata["error"]


def test_shotstack_hosted_asset_copy_is_ignored(client: Client, make_run: Any) -> None:
    run = make_run()
    event = event_of(shotstack_delivery(run.run_id, "shotstack_serve_ready").send(client))
    assert event.status == EventStatus.IGNORED
    assert not Artifact.objects.filter(run_id=run.run_id).exists()


# --- upload-post -----------------------------------------------------------------------------------


def test_upload_post_success_publishes_the_run(client: Client, make_run: Any) -> None:
    run = make_run(result={"publishUrls": ["https://www.youtube.com/shorts/abc"]})
    event = event_of(upload_post_delivery(run.run_id).send(client))
    assert event.status == EventStatus.PROCESSED
    assert event.error is None
    run.refresh_from_db()
    url = "https://www.tiktok.com/@myloware_aismr/video/7441234567890123456"
    assert run.status == RunStatus.PUBLISHED
    assert run.result["publishUrls"] == ["https://www.youtube.com/shorts/abc", url]
    artifact = Artifact.objects.get(run_id=run.run_id, type="publish.url")
    assert (artifact.url, artifact.provider, artifact.metadata["platform"]) == (url, "upload-post", "tiktok")


def test_upload_post_success_on_a_run_that_cannot_publish_is_recorded_on_the_event(
    client: Client, make_run: Any
) -> None:
    run = make_run(status=RunStatus.PENDING)
    event = event_of(upload_post_delivery(run.run_id).send(client))
    run.refresh_from_db()
    assert run.status == RunStatus.PENDING
    assert event.status == EventStatus.PROCESSED  # not retried forever
    assert "cannot move from pending to published" in event.error
    assert not WebhookDLQ.objects.exists()


def test_upload_post_failure_records_an_error_artifact(client: Client, make_run: Any) -> None:
    run = make_run()
    upload_post_delivery(run.run_id, "upload_post_failed").send(client)
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
    error = Artifact.objects.get(run_id=run.run_id, type="error", provider="upload-post")
    assert error.metadata["error"] == "spam_risk_too_many_posts"


def test_upload_post_account_events_are_stored_and_ignored(client: Client) -> None:
    body = fixture_bytes("upload_post_account_connected")
    response = deliver(client, "upload-post", body, headers=sign_hmac_body(body))
    assert response.status_code == 200
    assert event_of(response).status == EventStatus.IGNORED


def test_unknown_event_type_of_a_known_provider_is_ignored(client: Client, make_run: Any) -> None:
    body = b'{"event": "video_liked", "job_id": "j1", "platform": "tiktok"}'
    response = deliver(client, "upload-post", body, headers=sign_hmac_body(body))
    assert response.status_code == 200
    event = event_of(response)
    assert event.status == EventStatus.IGNORED
    assert "video_liked" in event.error


# --- exactly once ----------------------------------------------------------------------------------


def test_a_processed_event_is_never_claimed_again(client: Client, make_run: Any) -> None:
    run = make_run()
    event = event_of(upload_post_delivery(run.run_id).send(client))
    assert webhook_events_process_batch() == 0
    event.refresh_from_db()
    assert event.attempts == 1
    assert Artifact.objects.filter(run_id=run.run_id).count() == 1


def test_rejected_events_are_never_processed_even_when_reprocessed(client: Client, make_run: Any) -> None:
    run = make_run()
    delivery = upload_post_delivery(run.run_id)
    delivery.headers = {"X-Signature": "0" * 64}
    response = delivery.send(client)
    assert response.status_code == 401
    event_id = response.json()["error"]["details"]["event_id"]
    assert webhook_events_process_batch() == 0
    assert webhook_event_reprocess(event_id=event_id, actor="admin:op").outcome == "skipped"
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
    assert not Artifact.objects.filter(run_id=run.run_id).exists()


def test_reprocessing_a_processed_event_is_idempotent(client: Client, make_run: Any) -> None:
    run = make_run()
    event = event_of(upload_post_delivery(run.run_id).send(client))
    result = webhook_event_reprocess(event_id=str(event.pk), actor="admin:op")
    assert result.outcome == "processed"
    assert Artifact.objects.filter(run_id=run.run_id, type="publish.url").count() == 1
    assert len(Run.objects.get(pk=run.pk).result["publishUrls"]) == 1


# --- upload-post completions of our own asynchronous publications (socials) -------------------------


def make_processing_publication(run_id: str, request_id: str) -> Any:
    """A publication upload-post accepted asynchronously (state reached by socials' upload job)."""
    from django.utils import timezone

    from socials.models import Publication, PublicationStatus
    from socials.services import social_create

    social = social_create(provider="tiktok", account_id="myloware_aismr", actor="test")
    return Publication.objects.create(
        run_id=run_id,
        social=social,
        platform="tiktok",
        account_id="myloware_aismr",
        video_url="https://cdn.example.com/final.mp4",
        idempotency_key=f"pub-{request_id}",
        status=PublicationStatus.PROCESSING,
        provider_request_id=request_id,
        requested_at=timezone.now(),
    )


def test_upload_completed_finishes_the_matching_publication(client: Client, make_run: Any) -> None:
    run = make_run()
    publication = make_processing_publication(run.run_id, "job_5f1e2d3c4b5a")
    delivery = upload_post_delivery(run.run_id)
    delivery.query = ""  # the publication, not the URL, names the run
    event = event_of(delivery.send(client))
    assert event.status == EventStatus.PROCESSED
    assert f"publication {publication.pk} is published" in event.error
    publication.refresh_from_db()
    run.refresh_from_db()
    url = "https://www.tiktok.com/@myloware_aismr/video/7441234567890123456"
    assert (publication.status, publication.publish_url) == ("published", url)
    assert run.status == RunStatus.PUBLISHED and run.result["publishUrls"] == [url]
    assert Artifact.objects.filter(run_id=run.run_id, type="publish.url").count() == 1
    # The same completion delivered again under another id changes nothing.
    assert webhook_event_reprocess(event_id=str(event.pk), actor="admin:op").outcome == "processed"
    assert Artifact.objects.filter(run_id=run.run_id, type="publish.url").count() == 1


def test_upload_failed_completion_fails_the_matching_publication(client: Client, make_run: Any) -> None:
    run = make_run()
    publication = make_processing_publication(run.run_id, "job_0a9b8c7d6e5f")
    event = event_of(upload_post_delivery(run.run_id, "upload_post_failed").send(client))
    publication.refresh_from_db()
    assert publication.status == "failed" and "spam_risk_too_many_posts" in publication.error
    assert event.status == EventStatus.PROCESSED
