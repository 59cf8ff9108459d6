"""Back office: accounts with links inline, credential status, make-primary action, publishing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from socials import selectors
from socials.models import ProjectSocial, Publication, Social
from tests.socials.conftest import API_KEY, API_KEY_ENV

pytestmark = pytest.mark.django_db
INLINE = {
    "project_links-TOTAL_FORMS": "0",
    "project_links-INITIAL_FORMS": "0",
    "project_links-MIN_NUM_FORMS": "0",
    "project_links-MAX_NUM_FORMS": "0",
}


def test_account_pages_show_whether_the_credential_resolves_never_its_value(
    operator_client: Client, make_social: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok = make_social(account_id="resolving")
    broken = make_social(
        project=None, account_id="broken", credential_ref="env:PUBLISH_CREDENTIAL_MLW_TEST_UNSET"
    )
    page = operator_client.get(reverse("admin:socials_social_changelist"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "resolves: yes" in html and "resolves: no" in html and API_KEY not in html
    detail = operator_client.get(reverse("admin:socials_social_change", args=[ok.pk])).content.decode()
    assert "resolves: yes" in detail and API_KEY not in detail and "aismr" in detail
    detail = operator_client.get(reverse("admin:socials_social_change", args=[broken.pk])).content.decode()
    assert "resolves: no" in detail
    monkeypatch.delenv(API_KEY_ENV)
    detail = operator_client.get(reverse("admin:socials_social_change", args=[ok.pk])).content.decode()
    assert "resolves: no" in detail


def test_account_page_shows_publish_history_and_next_allowed_time(
    superuser_client: Client, upload_post: Any, make_social: Any, make_running_run: Any, publish: Any
) -> None:
    social = make_social(rate_limit_window=3600)
    run = make_running_run(render_url=upload_post.video_url())
    publication, _ = publish(run.run_id)
    html = superuser_client.get(reverse("admin:socials_social_change", args=[social.pk])).content.decode()
    assert run.run_id in html and publication.publish_url in html
    next_at = selectors.social_next_publish_at(social)
    assert f"{timezone.localtime(next_at):%Y-%m-%d %H:%M}" in html  # shown in TIME_ZONE


def test_admin_form_validates_credential_references(superuser_client: Client) -> None:
    response = superuser_client.post(
        reverse("admin:socials_social_add"),
        {
            "provider": "tiktok",
            "account_id": "new",
            "credential_ref": "sk-live-raw-secret",
            "default_tags": "null",
            **INLINE,
        },
    )
    assert response.status_code == 200 and "Unsupported credential reference" in response.content.decode()
    assert not Social.objects.exists()
    response = superuser_client.post(
        reverse("admin:socials_social_add"),
        {
            "provider": "tiktok",
            "account_id": "new",
            "credential_ref": f"env:{API_KEY_ENV}",
            "default_tags": '["a"]',
            **INLINE,
        },
    )
    assert response.status_code == 302
    assert Social.objects.get().credential_ref == f"env:{API_KEY_ENV}"


def test_make_primary_action_swaps_the_primary_for_operators(
    operator_client: Client, make_social: Any
) -> None:
    first = make_social(project="aismr", primary=True)
    second = make_social(project="aismr", primary=False)
    link = ProjectSocial.objects.get(project="aismr", social=second)
    url = reverse("admin:socials_projectsocial_changelist")
    response = operator_client.post(url, {"action": "make_primary", "_selected_action": [str(link.pk)]})
    assert response.status_code == 302
    assert selectors.project_publish_target(project="aismr") == second
    assert not ProjectSocial.objects.get(project="aismr", social=first).is_primary


def test_make_primary_action_needs_the_csrf_token(operator: Any, make_social: Any) -> None:
    make_social(project="aismr", primary=True)
    second = make_social(project="aismr", primary=False)
    link = ProjectSocial.objects.get(project="aismr", social=second)
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    url = reverse("admin:socials_projectsocial_changelist")
    response = client.post(url, {"action": "make_primary", "_selected_action": [str(link.pk)]})
    assert response.status_code == 403
    assert not ProjectSocial.objects.get(pk=link.pk).is_primary


def test_make_primary_refuses_two_accounts_of_one_project(superuser_client: Client, make_social: Any) -> None:
    first = make_social(project="aismr", primary=False)
    second = make_social(project="aismr", primary=False)
    ids = [str(link.pk) for link in ProjectSocial.objects.filter(social__in=[first, second])]
    superuser_client.post(
        reverse("admin:socials_projectsocial_changelist"), {"action": "make_primary", "_selected_action": ids}
    )
    assert not ProjectSocial.objects.filter(is_primary=True).exists()


def test_operators_publish_a_run_from_the_admin(
    operator_client: Client,
    upload_post: Any,
    make_social: Any,
    make_running_run: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    make_social()
    run = make_running_run(render_url=upload_post.video_url())
    url = reverse("admin:socials_publication_publish", args=[run.run_id])
    page = operator_client.get(url)
    assert page.status_code == 200 and "resolves: yes" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(url, {"caption": "from admin", "tags": "a, b"})
    publication = Publication.objects.get()
    assert response.status_code == 302 and publication.status == "published"
    assert publication.actor == "admin:operator" and publication.tags == ["a", "b"]
    detail = operator_client.get(reverse("admin:socials_publication_change", args=[publication.pk]))
    assert detail.status_code == 200 and publication.idempotency_key in detail.content.decode()


def test_publishing_from_the_admin_shows_refusals(
    superuser_client: Client, make_social: Any, make_running_run: Any
) -> None:
    make_social()
    run = make_running_run()
    response = superuser_client.post(
        reverse("admin:socials_publication_publish", args=[run.run_id]), {}, follow=True
    )
    assert "no final render" in response.content.decode()
    assert not Publication.objects.exists()


def test_publishing_from_the_admin_needs_the_publish_permission(
    client: Client, django_user_model: Any, make_running_run: Any
) -> None:
    staff = django_user_model.objects.create_user("viewer", password="viewer-pass-123", is_staff=True)
    client.force_login(staff)
    run = make_running_run()
    response = client.get(reverse("admin:socials_publication_publish", args=[run.run_id]))
    assert response.status_code == 403


def test_publication_changelist_loads(superuser_client: Client) -> None:
    assert superuser_client.get(reverse("admin:socials_publication_changelist")).status_code == 200
    assert superuser_client.get(reverse("admin:socials_projectsocial_changelist")).status_code == 200


def test_adding_a_primary_link_in_the_admin_swaps_the_primary(
    superuser_client: Client, make_social: Any
) -> None:
    first = make_social(project="aismr", primary=True)
    second = make_social(project=None)
    url = reverse("admin:socials_projectsocial_add")
    response = superuser_client.post(url, {"project": "aismr", "social": str(second.pk), "is_primary": "on"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert selectors.project_publish_target(project="aismr") == second
    assert not ProjectSocial.objects.get(project="aismr", social=first).is_primary
    again = superuser_client.post(url, {"project": "aismr", "social": str(second.pk)})
    assert again.status_code == 200 and "already linked" in again.content.decode()
