"""The publish flow: final render, defaults, run status, gate, idempotency, provider outcomes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from artifacts.models import Artifact
from artifacts.services import artifact_create
from myloware.lib.errors import Conflict, InvalidInput
from runs.models import Run
from runs.services import gate_decide, gate_open, run_create, run_merge_result
from socials import services
from socials.models import Publication, PublicationStatus
from socials.upload_post import FAKE_HOST
from tests.socials.conftest import API_KEY, API_KEY_ENV, VIDEO_BYTES

pytestmark = pytest.mark.django_db


def test_success_uploads_the_final_render_and_publishes_the_run(
    upload_post: Any, make_social: Any, make_running_run: Any, publish: Any
) -> None:
    social = make_social(
        default_caption="ASMR night", default_tags=["asmr", "#sleep"], privacy="PUBLIC_TO_EVERYONE"
    )
    run = make_running_run(render_url=upload_post.video_url())
    publication, created = publish(run.run_id)

    assert created and publication.status == PublicationStatus.PUBLISHED
    [upload] = upload_post.uploads()
    assert upload.headers["Authorization"] == f"Apikey {API_KEY}"
    assert upload.headers["Idempotency-Key"] == publication.idempotency_key
    assert upload.fields["user"] == [social.account_id]
    assert upload.fields["platform[]"] == ["tiktok"]
    assert upload.fields["title"] == ["ASMR night #asmr #sleep"]
    assert upload.fields["privacy_level"] == ["PUBLIC_TO_EVERYONE"]
    assert upload.files["video"] == VIDEO_BYTES

    run = Run.objects.get(pk=run.run_id)
    assert run.status == "published"
    assert run.result["publishUrls"] == [publication.publish_url]
    artifact = Artifact.objects.get(run_id=run.run_id, type="publish.url")
    assert (artifact.persona, artifact.provider, artifact.url) == (
        "quinn",
        "upload-post",
        publication.publish_url,
    )
    assert artifact.metadata["account"] == {
        "social_id": str(social.pk),
        "provider": "tiktok",
        "account_id": social.account_id,
    }
    assert artifact.metadata["response"]["success"] is True
    stored = json.dumps([artifact.metadata, publication.provider_response, publication.error])
    assert API_KEY not in stored


def test_explicit_caption_tags_and_privacy_override_the_defaults(
    upload_post: Any, make_social: Any, make_running_run: Any, publish: Any
) -> None:
    make_social(default_caption="default", default_tags=["x"], privacy="SELF_ONLY")
    run = make_running_run(render_url=upload_post.video_url())
    publication, _ = publish(run.run_id, caption="Mine", tags=["one", "two"], privacy="FOLLOWER_OF_CREATOR")
    [upload] = upload_post.uploads()
    assert upload.fields["title"] == ["Mine #one #two"]
    assert upload.fields["privacy_level"] == ["FOLLOWER_OF_CREATOR"]
    assert (publication.caption, publication.tags) == ("Mine", ["one", "two"])


def test_result_render_url_is_used_without_a_render_artifact(
    upload_post: Any, make_social: Any, make_running_run: Any, publish: Any
) -> None:
    make_social()
    run = make_running_run()
    url = upload_post.video_url("from-result.mp4")
    run_merge_result(run_id=run.run_id, patch={"renderUrl": url})
    publication, _ = publish(run.run_id)
    assert publication.video_url == url and publication.status == "published"


def test_a_run_without_a_final_render_is_refused(
    make_social: Any, make_running_run: Any, publish: Any
) -> None:
    make_social()
    run = make_running_run()
    with pytest.raises(Conflict, match="no final render"):
        publish(run.run_id)


def test_raw_provider_clips_are_never_published(
    upload_post: Any, make_social: Any, make_running_run: Any, publish: Any
) -> None:
    make_social()
    run = make_running_run(render_url=upload_post.video_url())
    clip = upload_post.video_url("clip-0.mp4")
    artifact_create(run_id=run.run_id, type="clip", url=clip, provider="kieai", persona="riley")
    result_clip = upload_post.video_url("clip-1.mp4")
    run_merge_result(run_id=run.run_id, patch={"videos": [{"index": 1, "url": result_clip}]})
    for url in (clip, result_clip):
        with pytest.raises(InvalidInput, match="raw provider clip"):
            publish(run.run_id, video_url=url)
    assert not upload_post.uploads() and not Publication.objects.exists()


@pytest.mark.parametrize("status", ["pending", "published"])
def test_only_a_running_run_can_be_published(
    status: str, upload_post: Any, make_social: Any, publish: Any
) -> None:
    make_social()
    run = run_create(project="aismr", actor="test")
    Run.objects.filter(pk=run.run_id).update(status=status)
    artifact_create(run_id=run.run_id, type="render.url", url=upload_post.video_url())
    with pytest.raises(Conflict) as exc:
        publish(run.run_id)
    assert exc.value.details["current_status"] == status
    assert not upload_post.uploads()


def test_no_primary_account_is_409_naming_the_project(make_running_run: Any, publish: Any) -> None:
    run = make_running_run(project="lonely", render_url="http://127.0.0.1/v.mp4")
    with pytest.raises(Conflict, match="'lonely'") as exc:
        publish(run.run_id)
    assert exc.value.code == "no_publish_target"


def test_prepublish_gate_must_be_approved_when_the_project_uses_it(
    upload_post: Any, make_social: Any, make_running_run: Any, publish: Any, settings: Any
) -> None:
    settings.GATE_DISABLED = []
    make_social()
    run = make_running_run(render_url=upload_post.video_url())
    with pytest.raises(Conflict) as exc:
        publish(run.run_id)
    assert exc.value.code == "prepublish_not_approved"

    gate_open(run_id=run.run_id, gate="prepublish", actor="api:orchestrator")
    gate_decide(run_id=run.run_id, gate="prepublish", decision="approve", actor="admin:quinn-reviewer")
    assert Run.objects.get(pk=run.run_id).status == "running"
    publication, _ = publish(run.run_id)
    assert publication.status == "published"


def test_same_content_twice_calls_the_provider_once_and_returns_the_first_result(
    upload_post: Any, make_social: Any, make_running_run: Any, publish: Any
) -> None:
    make_social()
    run = make_running_run(render_url=upload_post.video_url())
    first, created = publish(run.run_id, caption="hello")
    again, created_again = publish(run.run_id, caption="hello")
    assert created and not created_again
    assert again.pk == first.pk and again.publish_url == first.publish_url
    assert len(upload_post.uploads()) == 1
    assert Artifact.objects.filter(type="publish.url").count() == 1

    other = make_running_run(render_url=upload_post.video_url())
    with pytest.raises(Conflict) as exc:
        publish(other.run_id, caption="hello")
    assert exc.value.code == "duplicate_content" and exc.value.details["run_id"] == run.run_id
    assert len(upload_post.uploads()) == 1


def test_the_idempotency_key_covers_video_caption_account_and_platform(make_social: Any) -> None:
    social = make_social(project=None)
    other = make_social(project=None)
    key = services.publication_key(video_url="https://v/1.mp4", caption="c", social=social)
    assert key == services.publication_key(video_url="https://v/1.mp4", caption="c", social=social)
    assert key != services.publication_key(video_url="https://v/2.mp4", caption="c", social=social)
    assert key != services.publication_key(video_url="https://v/1.mp4", caption="d", social=social)
    assert key != services.publication_key(video_url="https://v/1.mp4", caption="c", social=other)


def test_provider_4xx_is_not_retried_and_fails_the_run_with_its_reason(
    upload_post: Any, make_social: Any, make_running_run: Any, publish: Any
) -> None:
    make_social()
    run = make_running_run(render_url=upload_post.video_url())
    upload_post.answer(400, {"success": False, "error": "Video duration too short"})
    publication, _ = publish(run.run_id)
    assert len(upload_post.uploads()) == 1
    assert publication.status == "failed" and "Video duration too short" in publication.error
    run = Run.objects.get(pk=run.run_id)
    assert run.status == "failed"
    assert "Video duration too short" in run.result["errors"][-1]["message"]
    assert not Artifact.objects.filter(type="publish.url").exists()


def test_provider_5xx_is_retried_with_the_same_idempotency_key(
    upload_post: Any, make_social: Any, make_running_run: Any, publish: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    make_social()
    run = make_running_run(render_url=upload_post.video_url())
    upload_post.answer(502, {"message": "bad gateway"})
    upload_post.answer(503, {"message": "unavailable"})
    publication, _ = publish(run.run_id)
    uploads = upload_post.uploads()
    assert len(uploads) == 3 and publication.status == "published"
    assert {u.headers["Idempotency-Key"] for u in uploads} == {publication.idempotency_key}
    assert "retrying" in caplog.text and API_KEY not in caplog.text  # the key is never logged


def test_provider_5xx_that_persists_fails_the_run_after_the_retries(
    upload_post: Any, make_social: Any, make_running_run: Any, publish: Any
) -> None:
    make_social()
    run = make_running_run(render_url=upload_post.video_url())
    for _ in range(3):
        upload_post.answer(500, {"message": "boom"})
    publication, _ = publish(run.run_id)
    assert len(upload_post.uploads()) == 3  # UPLOAD_POST_MAX_RETRIES = 2 in these tests
    assert publication.status == "failed" and "gave up after 3 attempts" in publication.error
    assert Run.objects.get(pk=run.run_id).status == "failed"


def test_provider_timeout_is_retried(
    upload_post: Any, make_social: Any, make_running_run: Any, publish: Any, settings: Any
) -> None:
    settings.UPLOAD_POST_TIMEOUT = 1
    make_social()
    run = make_running_run(render_url=upload_post.video_url())
    upload_post.answer(200, {"success": True, "results": {"tiktok": {"url": "https://late"}}}, delay=2.5)
    publication, _ = publish(run.run_id)
    assert len(upload_post.uploads()) == 2
    assert publication.status == "published" and publication.publish_url != "https://late"


def test_credential_that_does_not_resolve_is_refused_before_anything_is_stored(
    upload_post: Any, make_social: Any, make_running_run: Any, publish: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_social()
    run = make_running_run(render_url=upload_post.video_url())
    monkeypatch.delenv(API_KEY_ENV)
    with pytest.raises(InvalidInput, match=f"env:{API_KEY_ENV} does not resolve"):
        publish(run.run_id)
    assert not Publication.objects.exists() and not upload_post.uploads()


def test_credential_gone_by_the_time_the_job_runs_fails_cleanly(
    upload_post: Any,
    make_social: Any,
    make_running_run: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_social()
    run = make_running_run(render_url=upload_post.video_url())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        publication, _ = services.publication_request(run_id=run.run_id, actor="test")
    monkeypatch.delenv(API_KEY_ENV)
    for callback in callbacks:
        callback()
    publication.refresh_from_db()
    assert publication.status == "failed" and "does not resolve" in publication.error
    assert API_KEY not in publication.error
    assert Run.objects.get(pk=run.run_id).status == "failed"


def test_the_job_claims_first_so_a_second_run_of_it_does_nothing(
    upload_post: Any, make_social: Any, make_running_run: Any, publish: Any
) -> None:
    make_social()
    run = make_running_run(render_url=upload_post.video_url())
    publication, _ = publish(run.run_id)
    services.publication_execute(publication_id=publication.pk, actor="test")
    assert len(upload_post.uploads()) == 1


def test_fake_publisher_gives_deterministic_urls_in_debug_only(
    make_social: Any, make_running_run: Any, publish: Any, settings: Any
) -> None:
    social = make_social(credential_ref="")
    run = make_running_run(render_url="https://anywhere.example.net/final.mp4")
    with pytest.raises(InvalidInput) as exc:
        publish(run.run_id)
    assert exc.value.code == "no_credentials"

    settings.DEBUG = True
    publication, _ = publish(run.run_id)
    assert publication.fake and publication.status == "published"
    assert publication.publish_url.startswith(f"https://{FAKE_HOST}/tiktok/@{social.account_id}/video/")
    expected = (
        services.FakeUploadPostClient()
        .upload(
            services.UploadRequest(
                user=social.account_id,
                platform="tiktok",
                title="",
                privacy=None,
                idempotency_key=publication.idempotency_key,
            )
        )
        .url
    )
    assert publication.publish_url == expected
    artifact = Artifact.objects.get(run_id=run.run_id, type="publish.url")
    assert artifact.metadata["fake"] is True


def test_a_repeat_returns_the_first_result_even_after_the_run_and_credential_changed(
    upload_post: Any, make_social: Any, make_running_run: Any, publish: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_social()
    run = make_running_run(render_url=upload_post.video_url())
    first, _ = publish(run.run_id)
    assert Run.objects.get(pk=run.run_id).status == "published"
    monkeypatch.delenv(API_KEY_ENV)
    again, created = publish(run.run_id)
    assert not created and again.pk == first.pk and len(upload_post.uploads()) == 1


def test_a_fake_publication_is_refused_once_debug_is_off(
    make_social: Any, make_running_run: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.DEBUG = True
    make_social(credential_ref="")
    run = make_running_run(render_url="https://cdn.example.com/final.mp4")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        publication, _ = services.publication_request(run_id=run.run_id, actor="test")
    settings.DEBUG = False
    for callback in callbacks:
        callback()
    publication.refresh_from_db()
    assert publication.status == "failed" and "DEBUG is off" in publication.error
