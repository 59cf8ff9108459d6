"""PostgreSQL backend that starts (or attaches to) the embedded server when it first connects.

Settings only describe the embedded database (``myloware.db.embedded_database``); the server is
started here, by the first process that really opens a connection — the ``make run`` supervisor,
a ``manage.py`` command that touches the database, the pytest session — and never by importing
settings (mypy, ruff, ``makemigrations --check``). The server's socket folder is known only once
it runs (pgserver picks a shorter one when the data folder's path is too long for a socket), so
the host is filled in here; an explicit ``HOST`` (tests point it at a dead socket) is kept.
On django-prometheus' PostgreSQL backend (connection and query metrics), like a DATABASE_URL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
from django_prometheus.db.backends.postgresql import base

from myloware.db import embedded_server_host, forget_embedded_server_host


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        if not self.settings_dict["HOST"]:
            params["host"] = embedded_server_host(Path(self.settings_dict["EMBEDDED_DATADIR"]))
        return params

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        try:
            return super().get_new_connection(conn_params)
        except psycopg.OperationalError:
            # The server may have stopped or moved since we looked: look again next time.
            forget_embedded_server_host(Path(self.settings_dict["EMBEDDED_DATADIR"]))
            raise
