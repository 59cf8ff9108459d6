"""Every admin changelist and add page opens; operators see what they need."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from myloware.api.models import ApiKey

ALL_MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)
# User and group management, and the users' authenticators (their secrets), are for superusers;
# operators see the control plane.
OPERATOR_MODELS = [model for model in ALL_MODELS if model._meta.app_label not in ("auth", "otp_totp")]


def _url(model, page: str) -> str:  # type: ignore[no-untyped-def]
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}")


@pytest.mark.django_db
@pytest.mark.parametrize("model", OPERATOR_MODELS, ids=lambda m: m._meta.label)
def test_every_changelist_opens_for_the_operator(operator_client: Client, model) -> None:  # type: ignore[no-untyped-def]
    assert operator_client.get(_url(model, "changelist")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m._meta.label)
def test_every_changelist_and_add_page_opens_for_a_superuser(superuser_client: Client, model) -> None:  # type: ignore[no-untyped-def]
    assert superuser_client.get(_url(model, "changelist")).status_code == 200
    model_admin = admin.site._registry[model]
    request = superuser_client.get("/admin/").wsgi_request
    if model_admin.has_add_permission(request):
        response = superuser_client.get(_url(model, "add"))
        assert response.status_code == 200
        # An unsaved row's db_default placeholder is never shown as a value.
        assert "DatabaseDefault" not in response.content.decode()


@pytest.mark.django_db
def test_operators_group_views_everything_and_changes_runs_and_dlq() -> None:
    codenames = set(Group.objects.get(name="operators").permissions.values_list("codename", flat=True))
    for model in ALL_MODELS:
        if model._meta.app_label in {"api", "runs", "artifacts", "webhooks", "knowledge", "socials"}:
            assert f"view_{model._meta.model_name}" in codenames, model
    assert {"change_run", "change_webhookdlq"} <= codenames


@pytest.mark.django_db(transaction=True)
def test_a_flush_leaves_the_operators_group_in_place() -> None:
    """``flush`` (what ends every transactional test) empties the tables a data migration filled;
    the post_migrate sync puts the group back, so no later test depends on the order."""
    call_command("flush", interactive=False, verbosity=0)
    codenames = set(Group.objects.get(name="operators").permissions.values_list("codename", flat=True))
    assert {"view_run", "decide_gate", "replay_webhookdlq", "publish_run"} <= codenames


@pytest.mark.django_db
def test_admin_index_opens_for_the_operator(operator_client: Client) -> None:
    assert operator_client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_creating_an_api_key_in_the_admin_shows_it_once(superuser_client: Client) -> None:
    response = superuser_client.post(
        _api_key_add_url(), {"name": "dashboard", "scopes": ["runs", "kb:read"]}, follow=True
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "Copy it now" in text and "mlw_" in text
    assert ApiKey.objects.get(name="dashboard").scopes == ["runs", "kb:read"]
    listing = superuser_client.get(reverse("admin:api_apikey_changelist")).content.decode()
    assert "dashboard" in listing


def _api_key_add_url() -> str:
    return reverse("admin:api_apikey_add")


@pytest.mark.django_db
def test_a_social_account_page_has_no_placeholder_in_its_inline(superuser_client: Client) -> None:
    from socials.services import social_create

    social = social_create(provider="tiktok", account_id="acct-1", actor="test")
    html = superuser_client.get(reverse("admin:socials_social_change", args=[social.pk])).content.decode()
    assert "DatabaseDefault" not in html


@pytest.mark.django_db
def test_the_site_root_leads_to_the_console_and_view_site_is_gone(superuser_client: Client) -> None:
    response = superuser_client.get("/")
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    html = superuser_client.get("/admin/").content.decode()
    assert "View site" not in html
    assert 'rel="icon"' in html


def test_favicon_is_served(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert (response.status_code, response["Content-Type"]) == (200, "image/x-icon")
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO header


def test_api_roots_are_json_indexes(client: Client) -> None:
    root = client.get("/api/")
    assert root.status_code == 200 and root.json()["versions"]["v1"].endswith("/api/v1/")
    v1 = client.get("/api/v1/")
    assert v1.status_code == 200
    endpoints = v1.json()["endpoints"]
    assert "/api/v1/runs" in endpoints and "/api/v1/kb/search" in endpoints
    assert "/api/v1/" not in endpoints
