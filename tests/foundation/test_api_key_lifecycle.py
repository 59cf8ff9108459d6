"""An API key's lifecycle. Rotating: a new key with the same name and scopes, the old one accepted
for a grace period judged by the database at the moment the service is given, then refused.
Creating: a name is one consumer's for good (a revoked one is not reused, one name is one key)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from myloware.api.models import ApiKey
from myloware.api.operators import OPERATORS_GROUP
from myloware.api.services import api_key_authenticate, api_key_create, api_key_revoke, api_key_rotate
from myloware.lib.errors import Conflict
from tests.race import race, raised

pytestmark = pytest.mark.django_db
T0 = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)


def status_with(raw_key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw_key)
    return client.get("/api/v1/me").status_code


def test_over_the_api_the_old_key_works_inside_the_grace_and_gets_401_after() -> None:
    _, old = api_key_create(name="orchestrator", scopes=["runs", "kb:read"])
    key, new = api_key_rotate(name="orchestrator", now=timezone.now(), grace_hours=24)
    assert (status_with(old), status_with(new)) == (200, 200)
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=old)
    assert client.get("/api/v1/me").json()["name"] == "orchestrator"  # the same actor either way
    assert key.scopes == ["runs", "kb:read"]

    # A rotation 25 hours ago with a 24-hour grace: the old key is over, the new one is the key.
    _, older = api_key_create(name="publisher", scopes=["socials:publish"])
    _, newer = api_key_rotate(name="publisher", now=timezone.now() - timedelta(hours=25), grace_hours=24)
    assert (status_with(older), status_with(newer)) == (401, 200)


def test_the_grace_ends_at_the_moment_the_rotation_gave() -> None:
    _, old = api_key_create(name="bot", scopes=["runs"])
    key, new = api_key_rotate(name="bot", now=T0, grace_hours=24)
    assert key.previous_valid_until == T0 + timedelta(hours=24)
    assert api_key_authenticate(old, now=T0 + timedelta(hours=23, minutes=59)) == key
    assert api_key_authenticate(old, now=T0 + timedelta(hours=24)) is None
    assert api_key_authenticate(new, now=T0 + timedelta(days=400)) == key


def test_a_zero_grace_ends_the_old_key_at_once_and_the_default_is_the_setting(settings: object) -> None:
    _, old = api_key_create(name="zero", scopes=["runs"])
    api_key_rotate(name="zero", now=T0, grace_hours=0)
    assert api_key_authenticate(old, now=T0) is None
    api_key_create(name="default", scopes=["runs"])
    settings.API_KEY_ROTATION_GRACE_HOURS = 2  # type: ignore[attr-defined]
    key, _ = api_key_rotate(name="default", now=T0)
    assert key.previous_valid_until == T0 + timedelta(hours=2)


def test_rotating_again_ends_the_first_key_and_revoking_ends_both() -> None:
    _, first = api_key_create(name="twice", scopes=["runs"])
    _, second = api_key_rotate(name="twice", now=T0, grace_hours=24)
    _, third = api_key_rotate(name="twice", now=T0 + timedelta(hours=1), grace_hours=24)
    now = T0 + timedelta(hours=2)
    assert [api_key_authenticate(raw, now=now) is not None for raw in (first, second, third)] == [
        False,
        True,
        True,
    ]
    api_key_revoke(name="twice")
    assert [api_key_authenticate(raw, now=now) for raw in (second, third)] == [None, None]
    with pytest.raises(Conflict, match="revoked .* create a new key under another name"):
        api_key_rotate(name="twice", now=now)


@pytest.mark.django_db(transaction=True)
def test_concurrent_rotations_each_replace_the_key_the_other_left() -> None:
    """Eight rotations at once, twenty rounds: the key every one of them saw is gone, and of
    the new keys exactly two work (the last one and the one it replaced), as after one by one."""
    for round_number in range(20):
        name = f"raced-{round_number}"
        _, original = api_key_create(name=name, scopes=["runs"])
        outcomes = race(
            8, lambda _, name=name: api_key_rotate(name=name, now=T0, grace_hours=24)[1], connect_first=True
        )
        assert not raised(outcomes)
        working = [raw for raw in outcomes if api_key_authenticate(raw, now=T0) is not None]
        assert len(working) == 2 and api_key_authenticate(original, now=T0) is None


def test_the_command_prints_the_new_key_alone_on_the_last_line() -> None:
    _, old = api_key_create(name="script", scopes=["runs", "artifacts"])
    out = io.StringIO()
    call_command("rotate_api_key", "script", "--grace", "1", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert re.fullmatch(r"mlw_\S+", lines[-1]) and lines[-1] != old
    assert (
        "scopes runs, artifacts" in lines[0]
        and f"prefix {old[:12]}" in lines[0]
        and "works until" in lines[0]
    )
    assert (status_with(old), status_with(lines[-1])) == (200, 200)
    assert ApiKey.objects.get(name="script").previous_valid_until is not None


@pytest.mark.django_db(transaction=True)
def test_creations_of_one_name_at_once_make_one_key_and_conflicts() -> None:
    for round_number in range(10):
        name = f"twin-{round_number}"
        outcomes = race(
            8, lambda _, name=name: api_key_create(name=name, scopes=["runs"]), connect_first=True
        )
        errors = raised(outcomes)
        assert len(errors) == 7 and all(isinstance(error, Conflict) for error in errors), errors
        assert all("already exists" in error.message for error in errors if isinstance(error, Conflict))
        assert ApiKey.objects.filter(name=name).count() == 1


def test_creating_a_revoked_name_says_it_is_revoked_and_what_to_do() -> None:
    api_key_create(name="leaked", scopes=["runs"])
    api_key_revoke(name="leaked")
    with pytest.raises(CommandError) as raised_error:
        call_command("create_api_key", "leaked", "--scope", "runs", stdout=io.StringIO())
    message = str(raised_error.value)
    assert "'leaked' exists and was revoked at" in message and "give the new key another name" in message


def test_the_admin_rotates_with_a_csrf_checked_post_and_shows_the_key_once(
    superuser_client: Client, django_user_model: type[User]
) -> None:
    key, old = api_key_create(name="console", scopes=["runs"])
    changelist = reverse("admin:api_apikey_changelist")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(django_user_model.objects.get(is_superuser=True))
    forged = strict.post(changelist, {"action": "rotate_selected", "_selected_action": [key.pk]})
    assert forged.status_code == 403 and ApiKey.objects.get(pk=key.pk).key_hash == key.key_hash
    response = superuser_client.post(
        changelist, {"action": "rotate_selected", "_selected_action": [key.pk]}, follow=True
    )
    page = response.content.decode()
    new = re.search(r"it will not be shown again: (mlw_\S+) \(the old key works until", page)
    assert new and (status_with(old), status_with(new.group(1))) == (200, 200)
    detail = superuser_client.get(reverse("admin:api_apikey_change", args=[key.pk])).content.decode()
    assert f"{old[:12]}… works until" in detail


def test_an_operator_without_the_change_permission_cannot_rotate(client: Client) -> None:
    viewer = User.objects.create_user("viewer", password="pw-123456", is_staff=True)
    viewer.groups.add(Group.objects.get(name=OPERATORS_GROUP))
    client.force_login(viewer)
    key, _ = api_key_create(name="guarded", scopes=["runs"])
    client.post(
        reverse("admin:api_apikey_changelist"), {"action": "rotate_selected", "_selected_action": [key.pk]}
    )
    assert ApiKey.objects.get(pk=key.pk).key_hash == key.key_hash
