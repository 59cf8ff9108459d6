"""gunicorn configuration of `make run` and production: ``gunicorn -c python:myloware.gunicorn_conf``.

The point is the logger class: gunicorn's access log records the request line, query string
included, and its error log echoes requests it could not handle; both pass through the same
redaction as every other log line of the project (myloware.lib.redact), so a ``?token=`` of a
provider callback never reaches stdout or a log file.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from myloware.lib.redact import RedactSecretsFilter

# Settings read by gunicorn from this module (command-line flags override them).
logger_class = "myloware.gunicorn_conf.RedactingLogger"
accesslog = "-"
errorlog = "-"
graceful_timeout = 10


class RedactingLogger(Logger):
    """gunicorn's logger with the redaction filter on every handler it sets up (access, error,
    syslog, and those of a ``logconfig_dict``)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if not any(isinstance(f, RedactSecretsFilter) for f in handler.filters):
                    handler.addFilter(RedactSecretsFilter())
