"""Accounts, project links, the primary account and credential references."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction

from myloware.lib.errors import Conflict, InvalidInput, NotFound
from socials import selectors, services
from socials.credentials import CredentialUnavailable, credential_resolve, credential_resolves
from socials.models import ProjectSocial
from tests.socials.conftest import API_KEY, API_KEY_ENV

pytestmark = pytest.mark.django_db


def test_database_refuses_a_second_primary_for_a_project(make_social: Any) -> None:
    first = make_social(project="aismr", primary=True)
    second = make_social(project=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectSocial.objects.create(project="aismr", social=second, is_primary=True)
    assert selectors.project_publish_target(project="aismr") == first


def test_linking_as_primary_swaps_the_primary_atomically(make_social: Any) -> None:
    first = make_social(project="aismr", primary=True)
    second = make_social(project="aismr", primary=True)
    assert selectors.project_publish_target(project="aismr") == second
    assert not ProjectSocial.objects.get(project="aismr", social=first).is_primary


def test_make_primary_swaps_and_is_idempotent(make_social: Any) -> None:
    first = make_social(project="aismr", primary=True)
    second = make_social(project="aismr", primary=False)
    services.project_social_make_primary(project="aismr", social_id=second.pk, actor="test")
    services.project_social_make_primary(project="aismr", social_id=second.pk, actor="test")
    primaries = list(
        ProjectSocial.objects.filter(project="aismr", is_primary=True).values_list("social_id", flat=True)
    )
    assert primaries == [second.pk]
    services.project_social_make_primary(project="aismr", social_id=first.pk, actor="test")
    assert selectors.project_publish_target(project="aismr") == first


def test_make_primary_of_an_unlinked_account_is_404(make_social: Any) -> None:
    social = make_social(project=None)
    with pytest.raises(NotFound):
        services.project_social_make_primary(project="aismr", social_id=social.pk, actor="test")


def test_duplicate_link_is_refused(make_social: Any) -> None:
    social = make_social(project="aismr")
    with pytest.raises(Conflict, match="already linked"):
        services.project_social_link(project="aismr", social_id=social.pk, actor="test")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectSocial.objects.create(project="aismr", social=social)


def test_duplicate_account_is_refused(make_social: Any) -> None:
    make_social(project=None, account_id="same")
    with pytest.raises(Conflict):
        make_social(project=None, account_id="same")


def test_publish_target_without_primary_names_the_project(make_social: Any) -> None:
    make_social(project="other", primary=False)
    with pytest.raises(NotFound, match="'other'"):
        selectors.project_publish_target(project="other")
    with pytest.raises(NotFound, match="'nothing'"):
        selectors.project_publish_target(project="nothing")


@pytest.mark.parametrize(
    "ref",
    ["API_KEY", "vault:secret/x", "env:", "env:1BAD", "env:has space", "file:relative/path", "https://x"],
)
def test_malformed_credential_references_are_refused_on_save(ref: str, make_social: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        make_social(project=None, credential_ref=ref)
    assert "credential_ref" in exc.value.details


def test_file_references_must_stay_inside_the_configured_folder(
    tmp_path: Any, settings: Any, make_social: Any
) -> None:
    folder = tmp_path / "secrets"
    folder.mkdir()
    (folder / "upload_post").write_text("file-secret-value\n")
    outside = tmp_path / "outside"
    outside.write_text("outside-secret-value")
    (folder / "escape").symlink_to(outside)
    settings.SOCIALS_CREDENTIAL_FILE_DIR = str(folder)

    social = make_social(project=None, credential_ref=f"file:{folder}/upload_post")
    assert credential_resolve(social.credential_ref) == "file-secret-value"
    for ref in (f"file:{folder}/../outside", f"file:{folder}/escape"):
        with pytest.raises(InvalidInput) as exc:
            make_social(project=None, credential_ref=ref)
        message = exc.value.details["credential_ref"][0]
        assert "outside the credential folder" in message
        assert "outside-secret-value" not in message


def test_file_references_are_disabled_without_a_folder(settings: Any, make_social: Any) -> None:
    settings.SOCIALS_CREDENTIAL_FILE_DIR = ""
    with pytest.raises(InvalidInput) as exc:
        make_social(project=None, credential_ref="file:/run/secrets/key")
    assert "SOCIALS_CREDENTIAL_FILE_DIR" in exc.value.details["credential_ref"][0]


def test_resolution_failure_is_clear_and_never_echoes_a_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, settings: Any
) -> None:
    assert credential_resolve(f"env:{API_KEY_ENV}") == API_KEY
    assert credential_resolves(f"env:{API_KEY_ENV}")
    monkeypatch.delenv(API_KEY_ENV)
    with pytest.raises(CredentialUnavailable, match=f"environment variable {API_KEY_ENV} is not set"):
        credential_resolve(f"env:{API_KEY_ENV}")
    assert not credential_resolves(f"env:{API_KEY_ENV}")
    # A file that turns out too large: the message names the reference, not its content.
    settings.SOCIALS_CREDENTIAL_FILE_DIR = str(tmp_path)
    big = tmp_path / "big"
    big.write_text("TOPSECRET" * 1000)
    with pytest.raises(CredentialUnavailable) as exc:
        credential_resolve(f"file:{big}")
    assert "TOPSECRET" not in exc.value.message and str(big) in exc.value.message


def test_account_fields_are_validated(make_social: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        make_social(project=None, provider="Tik Tok", rate_limit_window=-5, default_tags=["a b"])
    assert set(exc.value.details) == {"provider", "rate_limit_window", "default_tags"}


def test_update_validates_and_keeps_other_fields(make_social: Any) -> None:
    social = make_social(project=None, default_caption="hello", rate_limit_window=60)
    updated = services.social_update(social_id=social.pk, changes={"rate_limit_window": 120}, actor="test")
    assert (updated.rate_limit_window, updated.default_caption) == (120, "hello")
    with pytest.raises(InvalidInput):
        services.social_update(social_id=social.pk, changes={"credential_ref": "plain-secret"}, actor="test")


def test_unlink_removes_the_link(make_social: Any) -> None:
    social = make_social(project="aismr")
    services.project_social_unlink(project="aismr", social_id=social.pk, actor="test")
    with pytest.raises(NotFound):
        services.project_social_unlink(project="aismr", social_id=social.pk, actor="test")
    with pytest.raises(NotFound):
        selectors.project_publish_target(project="aismr")
