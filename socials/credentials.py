"""Credential references: where an account's secret lives, never the secret itself.

Schemes:

- ``env:NAME`` — the environment variable ``NAME`` of the process that publishes (the qcluster);
  ``NAME`` must start with ``SOCIALS_CREDENTIAL_ENV_PREFIX`` (``PUBLISH_CREDENTIAL_``), so a
  reference can never name another secret of the process (a webhook secret, ``SECRET_KEY``).
- ``file:/absolute/path`` — a file (e.g. a mounted Kubernetes/Docker secret) that must lie inside
  ``SOCIALS_CREDENTIAL_FILE_DIR``; symlinks and ``..`` are resolved before the check.
- empty — no credential: only the local-development fake publisher can serve the account.

References are validated when saved and again whenever they are resolved (a row saved before
the namespace existed is refused on use). Error messages name the reference, never a value.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from myloware.lib.errors import InvalidInput

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_MAX_FILE_BYTES = 4096  # an API key, not a document; bigger files are a misconfiguration
SCHEMES = ("env", "file")


class CredentialUnavailable(InvalidInput):
    """A valid reference that does not resolve right now (unset variable, missing file)."""

    code = "credential_unavailable"


@dataclass(frozen=True)
class CredentialRef:
    scheme: str
    target: str

    def __str__(self) -> str:
        return f"{self.scheme}:{self.target}"


def credential_ref_parse(ref: str) -> CredentialRef | None:
    """Parse and validate ``ref``; None when empty. Raises InvalidInput naming the problem."""
    ref = (ref or "").strip()
    if not ref:
        return None
    scheme, sep, target = ref.partition(":")
    if not sep or scheme not in SCHEMES:
        raise InvalidInput(
            f"Unsupported credential reference {ref!r}: use env:NAME or file:/absolute/path",
            details={"credential_ref": ["unsupported scheme"]},
        )
    if scheme == "env":
        return CredentialRef("env", _checked_env_name(target, ref))
    return CredentialRef("file", str(_checked_file_path(target, ref)))


def _checked_env_name(target: str, ref: str) -> str:
    if not _ENV_NAME.match(target):
        raise InvalidInput(
            f"{ref!r} is not a valid environment variable reference (env:NAME, letters, digits, _)",
            details={"credential_ref": ["invalid environment variable name"]},
        )
    prefix = settings.SOCIALS_CREDENTIAL_ENV_PREFIX
    if not target.startswith(prefix) or target == prefix:
        raise InvalidInput(
            f"{ref!r} is outside the credential namespace: environment references must name a "
            f"variable starting with {prefix} (SOCIALS_CREDENTIAL_ENV_PREFIX)",
            details={"credential_ref": [f"environment variable must start with {prefix}"]},
        )
    return target


def _checked_file_path(target: str, ref: str) -> Path:
    folder = settings.SOCIALS_CREDENTIAL_FILE_DIR
    if not folder:
        raise InvalidInput(
            "file: credential references are disabled; set SOCIALS_CREDENTIAL_FILE_DIR to allow them",
            details={"credential_ref": ["file references disabled"]},
        )
    path = Path(target)
    if not path.is_absolute():
        raise InvalidInput(f"{ref!r} must be an absolute path", details={"credential_ref": ["not absolute"]})
    resolved = path.resolve(strict=False)
    root = Path(folder).resolve(strict=False)
    if not resolved.is_relative_to(root):
        raise InvalidInput(
            f"{ref!r} points outside the credential folder (SOCIALS_CREDENTIAL_FILE_DIR)",
            details={"credential_ref": ["outside the credential folder"]},
        )
    return resolved


def credential_ref_validate(ref: str) -> str:
    """The normalised reference to store (stripped); raises InvalidInput when malformed."""
    parsed = credential_ref_parse(ref)
    return str(parsed) if parsed else ""


def credential_resolve(ref: str) -> str:
    """The secret behind ``ref``. Raises CredentialUnavailable (message names only the ref)."""
    parsed = credential_ref_parse(ref)
    if parsed is None:
        raise CredentialUnavailable("The account has no credential reference")
    if parsed.scheme == "env":
        value = os.environ.get(parsed.target, "").strip()
        if not value:
            raise CredentialUnavailable(
                f"Credential reference {parsed} does not resolve: environment variable "
                f"{parsed.target} is not set or empty"
            )
        return value
    return _read_secret_file(parsed)


def _read_secret_file(parsed: CredentialRef) -> str:
    path = Path(parsed.target)
    try:
        # Re-resolve at read time: a symlink swapped after validation must not escape the folder.
        parse_again = credential_ref_parse(str(parsed))
        if parse_again is None or parse_again.target != str(path.resolve(strict=True)):
            raise CredentialUnavailable(f"Credential reference {parsed} does not resolve")
        if path.stat().st_size > _MAX_FILE_BYTES:
            raise CredentialUnavailable(f"Credential reference {parsed} names a file that is too large")
        value = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise CredentialUnavailable(
            f"Credential reference {parsed} does not resolve: {type(exc).__name__}"
        ) from None
    if not value:
        raise CredentialUnavailable(f"Credential reference {parsed} names an empty file")
    return value


def credential_resolves(ref: str) -> bool:
    """Whether ``ref`` currently resolves to a non-empty secret (for the admin; never the value)."""
    try:
        credential_resolve(ref)
    except InvalidInput:
        return False
    return True
