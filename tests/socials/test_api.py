"""REST API wiring: accounts CRUD, project links, publish target, publish (202/200/409/429)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from runs.services import run_create
from socials.models import Publication, Social
from tests.socials.conftest import API_KEY, API_KEY_ENV

pytestmark = pytest.mark.django_db


def _create(api_client: APIClient, **body: Any) -> Any:
    body = {"provider": "tiktok", "account_id": "acct", "credential_ref": f"env:{API_KEY_ENV}", **body}
    return api_client.post("/api/v1/socials", body, format="json")


def test_socials_crud(api_client: APIClient, monkeypatch: pytest.MonkeyPatch) -> None:
    created = _create(api_client, default_tags=["#asmr"], rate_limit_window=300)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["credential_resolves"] is True and body["default_tags"] == ["asmr"]
    assert body["next_publish_allowed_at"] is None
    assert API_KEY not in json.dumps(body)
    social_id = body["id"]

    assert api_client.get(f"/api/v1/socials/{social_id}").json()["account_id"] == "acct"
    listing = api_client.get("/api/v1/socials").json()
    assert [row["id"] for row in listing["results"]] == [social_id]

    changed = api_client.patch(f"/api/v1/socials/{social_id}", {"rate_limit_window": 60}, format="json")
    assert changed.status_code == 200 and changed.json()["rate_limit_window"] == 60
    monkeypatch.delenv(API_KEY_ENV)
    assert api_client.get(f"/api/v1/socials/{social_id}").json()["credential_resolves"] is False

    assert api_client.delete(f"/api/v1/socials/{social_id}").status_code == 204
    assert api_client.get(f"/api/v1/socials/{social_id}").status_code == 404


def test_socials_validation_errors_are_422_and_duplicates_409(api_client: APIClient) -> None:
    bad = _create(api_client, credential_ref="sk-live-plaintext-secret")
    assert bad.status_code == 422
    assert "credential_ref" in bad.json()["error"]["details"]
    assert (
        "sk-live-plaintext-secret" in bad.json()["error"]["details"]["credential_ref"][0]
    )  # the ref, not a secret
    assert _create(api_client).status_code == 201
    duplicate = _create(api_client)
    assert duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "conflict"
    assert _create(api_client, account_id="").status_code == 422


def test_an_account_with_publications_cannot_be_deleted(
    api_client: APIClient, upload_post: Any, make_social: Any, make_running_run: Any, publish: Any
) -> None:
    social = make_social()
    publish(make_running_run(render_url=upload_post.video_url()).run_id)
    response = api_client.delete(f"/api/v1/socials/{social.pk}")
    assert response.status_code == 409 and Social.objects.filter(pk=social.pk).exists()


def test_project_links_and_publish_target(api_client: APIClient, make_social: Any) -> None:
    first = make_social(project=None)
    second = make_social(project=None)
    missing = api_client.get("/api/v1/projects/aismr/publish-target")
    assert missing.status_code == 404 and "'aismr'" in missing.json()["error"]["message"]

    linked = api_client.post(
        "/api/v1/projects/aismr/socials", {"social_id": str(first.pk), "is_primary": True}, format="json"
    )
    assert linked.status_code == 201 and linked.json()["is_primary"] is True
    duplicate = api_client.post("/api/v1/projects/aismr/socials", {"social_id": str(first.pk)}, format="json")
    assert duplicate.status_code == 409
    api_client.post("/api/v1/projects/aismr/socials", {"social_id": str(second.pk)}, format="json")
    assert api_client.get("/api/v1/projects/aismr/publish-target").json()["id"] == str(first.pk)

    swapped = api_client.post(f"/api/v1/projects/aismr/socials/{second.pk}/primary")
    assert swapped.status_code == 200 and swapped.json()["is_primary"] is True
    links = api_client.get("/api/v1/projects/aismr/socials").json()
    assert links["next_cursor"] is None
    assert [(row["social"]["id"], row["is_primary"]) for row in links["results"]] == [
        (str(first.pk), False),
        (str(second.pk), True),
    ]
    assert api_client.get("/api/v1/projects/aismr/publish-target").json()["id"] == str(second.pk)

    assert api_client.delete(f"/api/v1/projects/aismr/socials/{second.pk}").status_code == 204
    assert api_client.delete(f"/api/v1/projects/aismr/socials?social_id={first.pk}").status_code == 204
    assert api_client.delete(f"/api/v1/projects/aismr/socials?social_id={first.pk}").status_code == 404
    assert api_client.delete("/api/v1/projects/aismr/socials?social_id=nope").status_code == 422
    assert api_client.get("/api/v1/projects/aismr/publish-target").status_code == 404


def test_publish_endpoint_202_then_200_for_the_same_content(
    api_client: APIClient,
    upload_post: Any,
    make_social: Any,
    make_running_run: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    make_social()
    run = make_running_run(render_url=upload_post.video_url())
    with django_capture_on_commit_callbacks(execute=True):
        first = api_client.post(
            f"/api/v1/runs/{run.run_id}/publish", {"caption": "hi", "tags": ["a"]}, format="json"
        )
    assert first.status_code == 202, first.json()
    assert first.json()["duplicate"] is False
    again = api_client.post(f"/api/v1/runs/{run.run_id}/publish", {"caption": "hi"}, format="json")
    assert again.status_code == 200 and again.json()["duplicate"] is True
    publication = again.json()["publication"]
    assert publication["id"] == first.json()["publication"]["id"] and publication["status"] == "published"
    assert publication["actor"] == "api:orchestrator"
    assert len(upload_post.uploads()) == 1
    assert api_client.get(f"/api/v1/publications/{publication['id']}").json()["publish_url"]
    page = api_client.get(f"/api/v1/runs/{run.run_id}/publications").json()
    assert [row["id"] for row in page["results"]] == [publication["id"]]


def test_publish_endpoint_409_names_the_current_status(api_client: APIClient, make_social: Any) -> None:
    make_social()
    run = run_create(project="aismr", actor="test")
    response = api_client.post(f"/api/v1/runs/{run.run_id}/publish", {}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["details"]["current_status"] == "pending"


def test_publish_endpoint_429_carries_retry_after(
    api_client: APIClient,
    upload_post: Any,
    make_social: Any,
    make_running_run: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    make_social(rate_limit_window=900)
    first = make_running_run(render_url=upload_post.video_url("a.mp4"))
    second = make_running_run(render_url=upload_post.video_url("b.mp4"))
    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.post(f"/api/v1/runs/{first.run_id}/publish", {}, format="json").status_code == 202
    limited = api_client.post(f"/api/v1/runs/{second.run_id}/publish", {}, format="json")
    assert limited.status_code == 429
    retry_after = int(limited["Retry-After"])
    assert 899 <= retry_after <= 900
    assert limited.json()["error"]["details"]["retry_after"] == retry_after


def test_publish_endpoint_refuses_bad_input_with_422(
    api_client: APIClient, make_social: Any, make_running_run: Any
) -> None:
    make_social()
    run = make_running_run(render_url="http://127.0.0.1/v.mp4")
    for body in ({"video_url": "file:///etc/passwd"}, {"tags": ["two words"]}, {"caption": "x" * 3000}):
        response = api_client.post(f"/api/v1/runs/{run.run_id}/publish", body, format="json")
        assert response.status_code == 422, response.json()
    # A body of the wrong shape is a 400 from the serializer.
    response = api_client.post(f"/api/v1/runs/{run.run_id}/publish", {"tags": "not-a-list"}, format="json")
    assert response.status_code == 400
    assert not Publication.objects.exists()
    assert api_client.post("/api/v1/runs/does-not-exist/publish", {}, format="json").status_code == 404


def test_endpoints_need_an_api_key(anonymous_client: APIClient) -> None:
    for method, url in (
        ("get", "/api/v1/socials"),
        ("get", "/api/v1/projects/aismr/publish-target"),
        ("post", "/api/v1/runs/r/publish"),
    ):
        assert getattr(anonymous_client, method)(url).status_code == 401


def test_endpoints_are_in_the_openapi_schema(api_client: APIClient) -> None:
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    for expected in (
        "/api/v1/socials",
        "/api/v1/socials/{social_id}",
        "/api/v1/projects/{project}/socials",
        "/api/v1/projects/{project}/socials/{social_id}",
        "/api/v1/projects/{project}/socials/{social_id}/primary",
        "/api/v1/projects/{project}/publish-target",
        "/api/v1/runs/{run_id}/publish",
    ):
        assert expected in paths
    publish = paths["/api/v1/runs/{run_id}/publish"]["post"]
    assert {"202", "200", "409", "429"} <= set(publish["responses"]) and "requestBody" in publish
