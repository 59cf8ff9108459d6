"""``manage.py enroll_totp USERNAME [--name NAME]``: give a user an authenticator (TOTP).

Prints the otpauth:// URL and its QR code once, for that user to scan; from then on the console's
login asks them for the app's current code. The way to enrol the first operator when two-factor
login is mandatory (LOGIN_OTP_REQUIRED); later ones can also be enrolled in the admin.
"""

from __future__ import annotations

import io
from typing import Any

import qrcode
from django.core.management.base import CommandParser

from myloware.api.second_factor import totp_enroll
from myloware.lib.commands import MylowareCommand


class Command(MylowareCommand):
    help = "Enrol a user for two-factor login: a TOTP device, printed as a URL and a QR code"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="authenticator", help="What the device is called in the admin")

    def handle(self, *args: Any, username: str, name: str, **options: Any) -> None:
        url = totp_enroll(username=username, name=name, actor="shell")
        code = qrcode.QRCode(border=1)
        code.add_data(url)
        picture = io.StringIO()
        code.print_ascii(out=picture, invert=True)
        self.stdout.write(picture.getvalue())
        self.stdout.write(f"Scan the code above, or enter this URL in the authenticator app:\n{url}")
        self.stdout.write(f"{username} must now log in with the app's current code.")
