"""The operators' console's admin site: Django's, with a login that takes an optional second
factor (myloware.api.second_factor) and refuses the console to a user who still owes one.

Installed as the default admin site (``myloware.apps.ConsoleAdminConfig`` in INSTALLED_APPS), so every
``admin.register`` of the apps lands here. Failed logins are counted by django-axes, whose
backend runs before the password hasher (settings, "Login").
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from myloware.api.second_factor import second_factor_satisfied, second_factor_verify
from myloware.lib.errors import PermissionDenied
from myloware.lib.metrics import ADMIN_LOGIN_FAILURES, ADMIN_LOGIN_LOCKOUTS


class ConsoleLoginForm(AdminAuthenticationForm):
    otp_token = forms.CharField(
        required=False,
        label="Authenticator code",
        help_text="Only if you were enrolled for two-factor login: the 6 digits your app shows now.",
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()  # the password (django-axes first), staff and active checks
        user = self.get_user()
        try:
            device = second_factor_verify(user, cleaned.get("otp_token") or "")
        except PermissionDenied as exc:
            raise forms.ValidationError(exc.message, code="second_factor") from exc
        if device is not None:
            # django-otp records it in the session at login (its user_logged_in receiver).
            user.otp_device = device  # type: ignore[attr-defined]
        return cleaned


class ConsoleAdminSite(admin.AdminSite):
    """Django's admin site with the console's login: the second factor, and what a login may
    cost the web tier.

    * A login request (GET or POST) from an address django-axes has locked out, or a POST for a
      locked username, is answered 429 at once with a page built without the template engine:
      a guessing loop that keeps going costs a few indexed reads per try.
    * At most one password is checked at a time across the web tier. A check runs the hasher
      (PBKDF2: most of a second of a core) in a sync gunicorn worker; two guessers would hold
      both of `make run`'s workers at once while webhook deliveries waited seconds. A login POST
      takes a session-level PostgreSQL advisory lock without waiting; a second one meanwhile is
      answered 429 + Retry-After: 1 (no check, no failure counted), so a worker is always left
      for everything else. The lock goes with the connection if the worker dies.

    Database errors here are the view's, so the edge answers them 503 like any other.
    """

    login_form = ConsoleLoginForm
    login_template = "admin/console_login.html"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and second_factor_satisfied(request.user)

    @method_decorator(never_cache)
    @login_not_required
    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if AxesProxyHandler.is_locked(request):
            return _refused(
                _locked_page(), "text/html; charset=utf-8", retry_after=settings.LOGIN_COOLOFF_SECONDS
            )
        if request.method != "POST":
            return super().login(request, extra_context)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOGIN_GATE_KEY])
            (acquired,) = cursor.fetchone()
        if not acquired:
            busy = "Another login is being checked right now; try again in a second."
            return _refused(busy, "text/plain; charset=utf-8", retry_after=1)
        try:
            return super().login(request, extra_context)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOGIN_GATE_KEY])


# pg_advisory_lock key of the one password check at a time (any constant of ours: "MYLO").
LOGIN_GATE_KEY = 0x4D594C4F


def _locked_page() -> str:
    """What a locked-out username or address gets for any further login request (django-axes
    renders the full lockout page when the lock is set)."""
    minutes = max(1, settings.LOGIN_COOLOFF_SECONDS // 60)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Login locked | MyloWare</title>'
        "</head><body><h1>Too many failed logins</h1><p>Logins for this username or from this address "
        f"are refused for {minutes} min after the last failed one; the password is not checked meanwhile. "
        "An operator can lift the lock (console: Axes, Access attempts).</p></body></html>"
    )


def _refused(text: str, content_type: str, *, retry_after: int) -> HttpResponse:
    response = HttpResponse(text, status=429, content_type=content_type)
    response["Retry-After"] = str(retry_after)
    return response


class CountingAxesHandler(AxesDatabaseHandler):
    """django-axes' database handler (``AXES_HANDLER``), counting what it records: a failure it
    writes down (not a try it refuses during a lock-out, which it does not record either), and a
    failure that locks a username or an address out."""

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
    ) -> None:
        locked_before = getattr(request, "axes_locked_out", False)
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or locked_before:
            return
        ADMIN_LOGIN_FAILURES.inc()
        if request.axes_locked_out:
            ADMIN_LOGIN_LOCKOUTS.inc()
