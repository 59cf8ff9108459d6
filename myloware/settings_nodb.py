"""Settings for commands that must not touch a database.

``make test`` runs ``makemigrations --check --dry-run`` with these: comparing the models with the
migration files needs no server, and Django skips its applied-history check for the dummy engine,
so checking migrations never starts the embedded PostgreSQL.
"""

from myloware.settings import *  # noqa: F403

DATABASES = {"default": {"ENGINE": "django.db.backends.dummy"}}
