"""The console's optional second factor: TOTP devices (django-otp) for staff.

A staff user with a confirmed TOTP device must give its current code at login; one without may
log in with the password alone unless LOGIN_OTP_REQUIRED is on. Operators enrol users: a
superuser in the admin (TOTP devices, with its QR code) or ``manage.py enroll_totp USER``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django_otp.plugins.otp_totp.models import TOTPDevice

from myloware.lib.errors import NotFound, PermissionDenied

logger = logging.getLogger(__name__)


def totp_device(user: Any) -> TOTPDevice | None:
    """The user's confirmed TOTP device (the first enrolled), or None."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("pk").first()


def second_factor_verify(user: Any, token: str) -> TOTPDevice | None:
    """The device that verified ``token`` for ``user`` (password already checked), or None when
    the user has no device and TOTP is optional. PermissionDenied with a message for the login
    page otherwise. The device throttles repeated wrong codes itself (growing delays)."""
    device = totp_device(user)
    if device is None:
        if settings.LOGIN_OTP_REQUIRED:
            raise PermissionDenied(
                "Two-factor login is required and this account has no authenticator yet: "
                "ask an operator to enrol you (manage.py enroll_totp)."
            )
        return None
    allowed, _ = device.verify_is_allowed()
    if not token.strip() or not allowed or not device.verify_token(token.strip()):
        logger.warning("login of %s: wrong or missing authenticator code", user.get_username())
        raise PermissionDenied("Enter the current 6-digit code of your authenticator app.")
    return device


def second_factor_satisfied(user: Any) -> bool:
    """May this logged-in user use the console? Verified by a device at this login; or, when
    TOTP is optional, not enrolled at all (a user enrolled later must log in again)."""
    if user.is_verified():
        return True
    return not settings.LOGIN_OTP_REQUIRED and totp_device(user) is None


def totp_enroll(*, username: str, name: str, actor: str) -> str:
    """Give ``username`` a new confirmed TOTP device; its otpauth:// URL (the secret: show it to
    that user only, e.g. as a QR code)."""
    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFound(f"No user {username!r}")
    device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
    logger.info("TOTP device %r enrolled for %s by %s", name, username, actor)
    return str(device.config_url)
