"""Credential references resolve only inside the configured namespace: the env prefix
(SOCIALS_CREDENTIAL_ENV_PREFIX) and the file folder (SOCIALS_CREDENTIAL_FILE_DIR). Anything else
is refused on save (API POST/PATCH, admin form: 422 / form error) and on use (publish request,
publish job), and nothing tells whether an arbitrary variable is set."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from myloware.lib.errors import InvalidInput
from socials import services
from socials.credentials import credential_resolve, credential_resolves
from socials.models import Publication, Social
from tests.socials.conftest import API_KEY_ENV

pytestmark = pytest.mark.django_db
OTHER_SECRET = "kie-webhook-secret-must-never-leave-0123"
OUTSIDE = [
    "env:WEBHOOK_SECRET_KIEAI",
    "env:SECRET_KEY",
    "env:HOME",
    "env:PUBLISH_CREDENTIAL_",  # the bare prefix names nothing
    "env:XPUBLISH_CREDENTIAL_A",
]


@pytest.fixture(autouse=True)
def other_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET_KIEAI", OTHER_SECRET)
    monkeypatch.setenv("HOME", "/home/someone")


@pytest.mark.parametrize("ref", OUTSIDE)
def test_api_create_refuses_references_outside_the_namespace(api_client: APIClient, ref: str) -> None:
    response = api_client.post(
        "/api/v1/socials", {"provider": "tiktok", "account_id": "a", "credential_ref": ref}, format="json"
    )
    assert response.status_code == 422, response.json()
    assert "PUBLISH_CREDENTIAL_" in response.json()["error"]["details"]["credential_ref"][0]
    assert not Social.objects.exists()


@pytest.mark.parametrize("ref", OUTSIDE)
def test_api_patch_refuses_references_outside_the_namespace(
    api_client: APIClient, make_social: Any, ref: str
) -> None:
    social = make_social(project=None)
    response = api_client.patch(f"/api/v1/socials/{social.pk}", {"credential_ref": ref}, format="json")
    assert response.status_code == 422, response.json()
    assert "credential_ref" in response.json()["error"]["details"]
    social.refresh_from_db()
    assert social.credential_ref == f"env:{API_KEY_ENV}"


def test_admin_form_refuses_references_outside_the_namespace(superuser_client: Client) -> None:
    response = superuser_client.post(
        reverse("admin:socials_social_add"),
        {
            "provider": "tiktok",
            "account_id": "new",
            "credential_ref": "env:WEBHOOK_SECRET_KIEAI",
            "default_tags": "null",
            "project_links-TOTAL_FORMS": "0",
            "project_links-INITIAL_FORMS": "0",
            "project_links-MIN_NUM_FORMS": "0",
            "project_links-MAX_NUM_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "outside the credential namespace" in response.content.decode()
    assert not Social.objects.exists()


def test_the_prefix_is_configurable(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.SOCIALS_CREDENTIAL_ENV_PREFIX = "MLW_KEYS_"
    monkeypatch.setenv("MLW_KEYS_TIKTOK", "value-1")
    assert credential_resolve("env:MLW_KEYS_TIKTOK") == "value-1"
    with pytest.raises(InvalidInput, match="MLW_KEYS_"):
        credential_resolve(f"env:{API_KEY_ENV}")


def test_resolution_status_says_nothing_about_variables_outside_the_namespace() -> None:
    # HOME is set and SECRET_KEY is not: both answer the same, and resolving names no value.
    assert credential_resolves("env:HOME") is credential_resolves("env:SECRET_KEY") is False
    with pytest.raises(InvalidInput) as exc:
        credential_resolve("env:WEBHOOK_SECRET_KIEAI")
    assert OTHER_SECRET not in exc.value.message and "not set" not in exc.value.message


def _smuggle(social: Social, ref: str) -> None:
    """A row written before the namespace existed (or straight into the database)."""
    Social.objects.filter(pk=social.pk).update(credential_ref=ref)


def test_publish_request_refuses_a_stored_reference_outside_the_namespace(
    upload_post: Any, make_social: Any, make_running_run: Any, publish: Any
) -> None:
    social = make_social()
    _smuggle(social, "env:WEBHOOK_SECRET_KIEAI")
    run = make_running_run(render_url=upload_post.video_url())
    with pytest.raises(InvalidInput, match="outside the credential namespace"):
        publish(run.run_id)
    assert upload_post.requests == [] and not Publication.objects.exists()


def test_publish_job_refuses_a_reference_changed_after_the_request(
    upload_post: Any,
    make_social: Any,
    make_running_run: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    social = make_social()
    run = make_running_run(render_url=upload_post.video_url())
    with django_capture_on_commit_callbacks(execute=False):
        publication, _ = services.publication_request(run_id=run.run_id, actor="test")
    _smuggle(social, "env:WEBHOOK_SECRET_KIEAI")
    done = services.publication_execute(publication_id=publication.pk, actor="test")
    assert done is not None and done.status == "failed"
    assert "outside the credential namespace" in done.error
    assert upload_post.uploads() == []
    sent = json.dumps([request.headers for request in upload_post.requests])
    assert OTHER_SECRET not in sent and OTHER_SECRET not in done.error
