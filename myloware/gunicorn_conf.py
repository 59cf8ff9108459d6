"""gunicorn configuration of `make run` and production: ``gunicorn -c python:myloware.gunicorn_conf``.

Two things of ours:

* The logger class: gunicorn's access log records the request line, query string included, and
  its error log echoes requests it could not handle; both pass through the same redaction as every
  other log line of the project (myloware.lib.redact), so a ``?token=`` of a provider callback
  never reaches stdout or a log file. With ``LOG_FORMAT=json`` both write the project's JSON
  lines (myloware.lib.logs); an access line carries the request's id (the ``X-Request-ID`` of
  its answer), its status and its duration as fields of their own.
* gunicorn answers a request it cannot parse (a NUL or a bad character in a header, a malformed
  request line or chunk, a request line over its limit) itself, before Django sees it, with an
  HTML page. Under /api/ we promise JSON errors only, so :func:`write_json_error` replaces
  ``gunicorn.util.write_error``, the one function all its workers write those answers with
  (gunicorn has no setting for it). Same status, same ``Connection: close``; the body is the
  project's JSON error shape, for every path: the request was never understood, so no page applies.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from gunicorn import util
from gunicorn.glogging import Logger

from myloware.lib.errors import error_body
from myloware.lib.logs import JsonFormatter, log_format
from myloware.lib.redact import RedactSecretsFilter, redact_text

# Settings read by gunicorn from this module (command-line flags override them).
logger_class = "myloware.gunicorn_conf.RedactingLogger"
accesslog = "-"
errorlog = "-"
graceful_timeout = 10


class AccessFields(logging.Filter):
    """The fields of an access line (its record's arguments are gunicorn's atoms)."""

    def filter(self, record: logging.LogRecord) -> bool:
        atoms: Any = record.args
        request_id = atoms["{x-request-id}o"]
        record.request_id = None if request_id == "-" else request_id
        record.status = atoms["s"]
        record.duration_seconds = float(atoms["L"])
        return True


class RedactingLogger(Logger):
    """gunicorn's logger with the redaction filter on every handler it sets up (access, error,
    syslog, and those of a ``logconfig_dict``), and the JSON format when LOG_FORMAT asks for it."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        json_lines = log_format() == "json"
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if json_lines:
                    handler.setFormatter(JsonFormatter())
                    if log is self.access_log:
                        handler.addFilter(AccessFields())
                if not any(isinstance(f, RedactSecretsFilter) for f in handler.filters):
                    handler.addFilter(RedactSecretsFilter())


def write_json_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's own error answer, as JSON (its message may quote the request: redacted)."""
    code = reason.lower().replace(" ", "_")
    body = json.dumps(error_body(status_int, code, redact_text(mesg))).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


util.write_error = write_json_error
