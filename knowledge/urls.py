from __future__ import annotations

from django.urls import path  # noqa: F401 - endpoints of this app are added here

urlpatterns: list = []
