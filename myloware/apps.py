"""The project's app configurations (no models: loaded before any app's models)."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class ConsoleAdminConfig(AdminConfig):
    """Django's admin whose default site is the console's (login with an optional second factor)."""

    default_site = "myloware.admin_site.ConsoleAdminSite"
