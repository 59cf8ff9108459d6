"""Test settings: the real embedded PostgreSQL, django-q2 tasks run synchronously."""

from __future__ import annotations

import os

# django-q2 reads Q_CLUSTER at import, so sync mode must be set before settings are evaluated.
os.environ.setdefault("Q_SYNC", "1")
# Tests configure their own secrets; the developer's var/dev.env must not leak into them.
os.environ["MYLOWARE_LOAD_DEV_ENV"] = "0"

from myloware.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
WHITENOISE_AUTOREFRESH = True
