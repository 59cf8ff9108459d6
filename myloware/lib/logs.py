"""``LOG_FORMAT=json``: one JSON object per line, every field redacted.

python-json-logger's formatter with the fields an on-call engineer filters on: ``time`` (UTC,
ISO 8601), ``level``, ``logger``, ``message``, ``request_id`` inside a request (or a task it
queued), any ``extra`` field a caller passed, ``exc_info`` for a traceback. Every string in the
object passes :func:`myloware.lib.redact.redact_text` (the redaction filter has masked the
message already; this covers the other fields), and a value that is not JSON is written as its
redacted text.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

from myloware.lib.env import env_str
from myloware.lib.redact import redact_text

LOG_FORMATS = ("text", "json")
FIELDS = "%(levelname)s %(name)s %(message)s"
RENAMED = {"levelname": "level", "name": "logger"}


def log_format() -> str:
    """``LOG_FORMAT``, for the settings and for gunicorn's logger (which starts before Django)."""
    chosen = env_str("LOG_FORMAT", "text").strip().lower()
    if chosen not in LOG_FORMATS:
        raise ImproperlyConfigured("LOG_FORMAT must be 'text' or 'json'")
    return chosen


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        return {str(key): _redacted(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(item) for item in value]
    return redact_text(str(value))


class JsonFormatter(BaseJsonFormatter):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(FIELDS, rename_fields=RENAMED, timestamp="time", **kwargs)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        if log_data.get("request_id") is None:
            log_data.pop("request_id", None)  # outside a request
        moment = log_data.pop("time").isoformat()
        return {"time": moment, **{key: _redacted(value) for key, value in log_data.items()}}
