"""Shared fixtures. Tests run against the real embedded PostgreSQL with pgvector."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from myloware.api.models import ApiKey
from myloware.api.services import api_key_create


@pytest.fixture
def make_api_key(db: None) -> Callable[..., tuple[ApiKey, str]]:
    counter = iter(range(1, 10_000))

    def _make(name: str | None = None) -> tuple[ApiKey, str]:
        return api_key_create(name=name or f"test-key-{next(counter)}")

    return _make


@pytest.fixture
def api_key(make_api_key: Callable[..., tuple[ApiKey, str]]) -> tuple[ApiKey, str]:
    return make_api_key("orchestrator")


@pytest.fixture
def api_client(api_key: tuple[ApiKey, str]) -> APIClient:
    """A DRF test client authenticated as the API key named ``orchestrator``."""
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=api_key[1])
    return client


@pytest.fixture
def anonymous_client() -> APIClient:
    return APIClient()


@pytest.fixture
def operator(db: None) -> User:
    """A staff user in the ``operators`` group (created by migration)."""
    user = User.objects.create_user("operator", password="operator-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name="operators"))
    return user


@pytest.fixture
def operator_client(client, operator: User):  # type: ignore[no-untyped-def]
    client.force_login(operator)
    return client


@pytest.fixture
def superuser_client(client, django_user_model):  # type: ignore[no-untyped-def]
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "root-pass-123")
    client.force_login(admin)
    return client
