"""One JSON object per line on stdout, so CloudWatch Logs Insights can query fields without parsing text."""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

# Fields a caller may attach with `extra=`; everything else on a LogRecord is logging's own bookkeeping.
CONTEXT_FIELDS = ("request_id", "method", "path", "status", "duration_ms", "error", "version", "exception")
REDACTED = "[REDACTED]"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                entry[name] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return json.dumps(entry, default=str, ensure_ascii=False)


class RedactFilter(logging.Filter):
    """Replaces known secret values anywhere in a record, as a last line of defence.

    The service never logs its connection settings, but a driver error or a traceback could quote them.
    The record is rendered here, so the formatter only ever sees the redacted text.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Short values would redact ordinary words; real secrets are long.
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        record.msg = self._scrub(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = None
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip()
            record.exc_info = None
            record.__dict__["exception"] = self._scrub(text)
        for name in CONTEXT_FIELDS:
            value = record.__dict__.get(name)
            if isinstance(value, str):
                record.__dict__[name] = self._scrub(value)
        return True


def redact_filter_from_env() -> RedactFilter:
    """Factory for logging.config (gunicorn's logconfig_dict): the secret stays in the environment, not the config."""
    return RedactFilter([os.environ.get("DB_PASSWORD", "")])


def configure_logging(level: str = "INFO", secrets: Iterable[str] = (), stream: Any = None) -> None:
    """Route the root logger (and so gunicorn's and the app's loggers) to JSON lines on stdout."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stdout)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactFilter(secrets))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("gunicorn.error", "gunicorn.access", "werkzeug"):
        named = logging.getLogger(name)
        named.handlers.clear()
        named.propagate = True
