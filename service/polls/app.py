"""The polls API: HTTP handling only; SQL lives in store, input rules in validation."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

import psycopg
from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from psycopg_pool import ConnectionPool
from werkzeug.exceptions import HTTPException

from . import store
from .config import Settings
from .migrations import latest_version
from .validation import MAX_ID, ValidationError, parse_new_poll, parse_page, parse_vote

MAX_BODY_BYTES = 64 * 1024
READINESS_TIMEOUT = 2.0  # seconds; well inside the load balancer's health-check timeout
# A caller's request id is echoed into logs, so only a short, plain token is accepted.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:=-]{1,128}$")
POOL_KEY = "polls.pool"
# The latest migration this build ships: readiness requires the database to have it.
SCHEMA_VERSION_KEY = "POLLS_SCHEMA_VERSION"

log = logging.getLogger("polls.request")
app_log = logging.getLogger("polls")


def error(status: int, message: str, **details: Any) -> tuple[Response, int]:
    body: dict[str, Any] = {"error": message, **details}
    rid = g.get("request_id")
    if rid:
        body["request_id"] = rid
    return jsonify(body), status


def _pool() -> ConnectionPool:
    pool: ConnectionPool = current_app.extensions[POOL_KEY]
    return pool


def _poll_id_or_none(poll_id: int) -> int | None:
    return poll_id if 1 <= poll_id <= MAX_ID else None


api = Blueprint("polls", __name__)


def start_request() -> None:
    incoming = request.headers.get("X-Request-Id", "")
    g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
    g.started = time.perf_counter()


def finish_request(response: Response) -> Response:
    response.headers["X-Request-Id"] = g.get("request_id", "")
    response.headers["Cache-Control"] = "no-store"
    duration_ms = round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2)
    log.info(
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "request_id": g.get("request_id"),
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": duration_ms,
        },
    )
    return response


def http_error(exc: HTTPException) -> tuple[Response, int]:
    status = exc.code or 500
    messages = {404: "not found", 405: "method not allowed", 413: f"request body over {MAX_BODY_BYTES} bytes"}
    return error(status, messages.get(status, exc.name.lower()))


def invalid(exc: ValidationError) -> tuple[Response, int]:
    return error(400, "invalid request", field=exc.field, detail=exc.message)


def database_unavailable(exc: psycopg.OperationalError) -> tuple[Response, int]:
    # Connection refused, pool timeout, failover, statement timeout: transient, so 503 and a log line.
    app_log.warning("database unavailable: %s", exc, extra={"request_id": g.get("request_id")})
    return error(503, "database unavailable, retry later")


def unexpected(exc: Exception) -> tuple[Response, int]:
    # The traceback goes to the log, never to the client.
    app_log.exception("unhandled error", extra={"request_id": g.get("request_id")})
    return error(500, "internal error")


@api.get("/healthz")
def healthz() -> tuple[Response, int]:
    # Liveness only: the process answers. It must not touch the database, or a database outage
    # would make ECS replace every healthy task.
    return jsonify(status="ok"), 200


@api.get("/readyz")
def readyz() -> tuple[Response, int]:
    try:
        store.check_ready(_pool(), current_app.config[SCHEMA_VERSION_KEY], READINESS_TIMEOUT)
    except store.SchemaNotReady:
        return jsonify(status="unavailable", reason="schema not migrated"), 503
    except psycopg.Error as exc:
        app_log.warning("readiness check failed: %s", exc, extra={"request_id": g.get("request_id")})
        return jsonify(status="unavailable", reason="database unreachable"), 503
    return jsonify(status="ready"), 200


@api.post("/polls")
def create_poll() -> tuple[Response, int, dict[str, str]]:
    new_poll = parse_new_poll(request.get_json(silent=True))
    with _pool().connection() as conn:
        poll = store.create_poll(conn, new_poll)
    return jsonify(poll), 201, {"Location": f"/polls/{poll['id']}"}


@api.get("/polls")
def list_polls() -> tuple[Response, int]:
    limit, before = parse_page(request.args)
    with _pool().connection() as conn:
        polls, next_before = store.list_polls(conn, limit, before)
    return jsonify(polls=polls, next_before=next_before), 200


@api.get("/polls/<int:poll_id>")
def get_poll(poll_id: int) -> tuple[Response, int]:
    checked = _poll_id_or_none(poll_id)
    if checked is None:
        return error(404, "poll not found")
    with _pool().connection() as conn:
        poll = store.get_poll(conn, checked)
    if poll is None:
        return error(404, "poll not found")
    return jsonify(poll), 200


@api.post("/polls/<int:poll_id>/votes")
def vote(poll_id: int) -> tuple[Response, int]:
    option_id = parse_vote(request.get_json(silent=True))
    checked = _poll_id_or_none(poll_id)
    if checked is None:
        return error(404, "poll not found")
    with _pool().connection() as conn:
        try:
            recorded = store.add_vote(conn, checked, option_id)
        except store.OptionNotInPoll:
            return error(400, "invalid request", field="option_id", detail="is not an option of this poll")
    if recorded is None:
        return error(404, "poll not found")
    return jsonify(recorded), 201


@api.get("/polls/<int:poll_id>/results")
def results(poll_id: int) -> tuple[Response, int]:
    checked = _poll_id_or_none(poll_id)
    if checked is None:
        return error(404, "poll not found")
    with _pool().connection() as conn:
        counts = store.results(conn, checked)
    if counts is None:
        return error(404, "poll not found")
    return jsonify(counts), 200


def create_app(settings: Settings, pool: ConnectionPool | None = None) -> Flask:
    """The WSGI app; `pool` defaults to a new pool for `settings` (one per process)."""
    app = Flask("polls")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.config[SCHEMA_VERSION_KEY] = latest_version()
    app.json.sort_keys = False  # type: ignore[attr-defined]  # DefaultJSONProvider has it; the base type does not
    app.extensions[POOL_KEY] = pool if pool is not None else store.create_pool(settings)
    app.before_request(start_request)
    app.after_request(finish_request)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(ValidationError, invalid)
    app.register_error_handler(psycopg.OperationalError, database_unavailable)
    app.register_error_handler(Exception, unexpected)
    app.register_blueprint(api)
    return app
