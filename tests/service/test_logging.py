"""Structured logs: one JSON object per line, the request fields present, the database password never."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from io import StringIO
from typing import Any

from flask.testing import FlaskClient

from service.polls.app import create_app
from service.polls.config import load_settings

from .conftest import closed_port, env_for

REQUEST_KEYS = {"timestamp", "level", "message", "request_id", "method", "path", "status", "duration_ms"}
SENTINEL_PASSWORD = "Zebra-Sentinel-4711"  # noqa: S105 -- a marker to search the logs for, not a credential

CaptureLogs = Callable[[Iterable[str]], StringIO]


def parse_lines(stream: StringIO) -> list[dict[str, Any]]:
    lines = stream.getvalue().splitlines()
    assert lines, "expected log output"
    return [json.loads(line) for line in lines]


def test_each_request_logs_one_json_line_with_its_fields(client: FlaskClient, capture_logs: CaptureLogs) -> None:
    stream = capture_logs([])

    response = client.post(
        "/polls", json={"question": "Logged?", "options": ["yes", "no"]}, headers={"X-Request-Id": "req-42"}
    )

    entries = [e for e in parse_lines(stream) if e["logger"] == "polls.request"]
    assert len(entries) == 1
    entry = entries[0]
    assert entry.keys() >= REQUEST_KEYS
    assert (entry["request_id"], entry["method"], entry["path"], entry["status"]) == ("req-42", "POST", "/polls", 201)
    assert entry["level"] == "INFO"
    assert isinstance(entry["duration_ms"], float)
    assert entry["timestamp"].endswith("+00:00")
    assert response.headers["X-Request-Id"] == "req-42"


def test_password_never_logged_when_database_is_down(capture_logs: CaptureLogs) -> None:
    # Given a service whose database refuses connections, with a recognizable password
    settings = load_settings(
        env_for(
            "postgresql://x:y@127.0.0.1/z",
            DB_PORT=str(closed_port()),
            DB_CONNECT_TIMEOUT="1",
            DB_PASSWORD=SENTINEL_PASSWORD,
        )
    )
    stream = capture_logs([settings.db_password])
    app = create_app(settings)
    try:
        client = app.test_client()
        # When requests fail on the database
        assert client.get("/readyz").status_code == 503
        assert client.get("/polls").status_code == 503
    finally:
        app.extensions["polls.pool"].close()

    # Then the failures are logged as JSON, as warnings, and the password appears nowhere
    entries = parse_lines(stream)
    assert any(e["level"] == "WARNING" and "database" in e["message"] for e in entries)
    assert SENTINEL_PASSWORD not in stream.getvalue()


def test_secret_in_a_message_or_traceback_is_redacted(capture_logs: CaptureLogs) -> None:
    stream = capture_logs([SENTINEL_PASSWORD])
    log = logging.getLogger("polls.test")

    log.error("connecting with password=%s", SENTINEL_PASSWORD)
    try:
        raise RuntimeError(f"dsn=postgresql://u:{SENTINEL_PASSWORD}@db/x")
    except RuntimeError:
        log.exception("failed", extra={"request_id": "r1"})

    text = stream.getvalue()
    assert SENTINEL_PASSWORD not in text
    first, second = parse_lines(stream)
    assert first["message"] == "connecting with password=[REDACTED]"
    assert "dsn=postgresql://u:[REDACTED]@db/x" in second["exception"]
    assert second["request_id"] == "r1"
