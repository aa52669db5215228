"""Gunicorn settings for the container (`gunicorn --config gunicorn.conf.py polls.wsgi:app`).

Everything comes from polls.config, so a bad environment variable stops the container before it binds,
with one JSON log line naming the variable. The root filesystem is read-only on ECS: the only writable
path is /tmp (a task-definition volume), used for the worker heartbeat files.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

import psycopg
from polls.config import ConfigError, load_settings
from polls.migrations import MigrationError, migrate

try:
    _settings = load_settings()
except ConfigError as _exc:
    # Logging is not configured yet; write the line the JSON formatter would have written.
    _line = {
        "timestamp": datetime.now(tz=UTC).isoformat(timespec="milliseconds"),
        "level": "CRITICAL",
        "logger": "polls.config",
        "message": f"invalid configuration: {_exc}",
    }
    sys.stdout.write(json.dumps(_line) + "\n")
    sys.stdout.flush()
    sys.exit(2)

bind = [f"0.0.0.0:{_settings.port}"]
workers = _settings.web_concurrency
worker_class = "gthread"
threads = _settings.web_threads
# Heartbeat files: the one writable path on a read-only root filesystem.
worker_tmp_dir = "/tmp"  # noqa: S108 -- a dedicated volume in the task definition, not a shared /tmp
# The default control socket lives under $HOME, which is read-only in the container.
control_socket_disable = True
timeout = 30  # seconds a worker may be silent before the master restarts it
# ECS sends SIGTERM, then SIGKILL after the task's stop timeout (30 seconds by default): finish in-flight
# requests inside that window.
graceful_timeout = 25  # seconds
# Longer than the ALB's idle timeout (60 seconds), so the ALB closes idle connections first and never
# sends a request on a connection gunicorn is closing (a source of sporadic 502s).
keepalive = 75  # seconds
loglevel = _settings.log_level.lower()
logconfig_dict: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "polls.logs.JsonFormatter"}},
    "filters": {"redact": {"()": "polls.logs.redact_filter_from_env"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
            "filters": ["redact"],
        }
    },
    "root": {"level": _settings.log_level, "handlers": ["stdout"]},
    "loggers": {
        "gunicorn.error": {"level": _settings.log_level, "handlers": [], "propagate": True},
        # The app logs one JSON line per request itself (with its request id); gunicorn's access lines, which
        # any logconfig_dict turns on, would duplicate each request. Dropped: INFO is below this level.
        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
    },
}


def on_starting(server: Any) -> None:
    """Runs once in the master before any worker starts: bring the schema up to date."""
    if not _settings.migrate_on_start:
        return
    log = logging.getLogger("polls.migrations")
    try:
        migrate(_settings)
    except (MigrationError, psycopg.Error) as exc:
        # Exit non-zero: ECS stops the task, and the deployment circuit breaker sees the failure.
        log.critical("migration failed, not starting: %s", exc)
        sys.exit(1)
