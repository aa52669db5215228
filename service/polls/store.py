"""SQL for the polls API. Every function takes an open connection; the caller owns the transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from .config import Settings
from .validation import NewPoll

Row = dict[str, Any]


class OptionNotInPoll(LookupError):
    """The poll exists but has no option with that id."""


def create_pool(settings: Settings) -> ConnectionPool:
    """A per-process pool: one connection per worker thread, so a request never queues behind another."""
    pool: ConnectionPool = ConnectionPool(
        "",
        # Autocommit: reads need no transaction; writes open one explicitly with conn.transaction().
        kwargs={**settings.connection_kwargs(), "autocommit": True},
        min_size=1,
        max_size=settings.web_threads,
        # Seconds a request waits for a connection before the API answers 503.
        timeout=settings.db_connect_timeout,
        # A connection broken by a failover or restart is replaced on checkout, not handed to a request.
        check=ConnectionPool.check_connection,
        max_idle=300,  # seconds
        name="polls",
        open=False,
    )
    # Do not wait: the process starts (and /healthz answers) even while the database is unreachable.
    pool.open(wait=False)
    return pool


def _iso(value: datetime) -> str:
    return value.isoformat()


def _options(conn: psycopg.Connection[Any], poll_id: int) -> list[Row]:
    cur = conn.cursor(row_factory=dict_row)
    return cur.execute(
        "SELECT id, text FROM poll_options WHERE poll_id = %s ORDER BY position",
        (poll_id,),
    ).fetchall()


def create_poll(conn: psycopg.Connection[Any], poll: NewPoll) -> Row:
    cur = conn.cursor(row_factory=dict_row)
    with conn.transaction():
        row = cur.execute(
            "INSERT INTO polls (question) VALUES (%s) RETURNING id, question, created_at",
            (poll.question,),
        ).fetchone()
        if row is None:
            raise RuntimeError("INSERT ... RETURNING returned no row")
        cur.executemany(
            "INSERT INTO poll_options (poll_id, position, text) VALUES (%s, %s, %s)",
            [(row["id"], position, text) for position, text in enumerate(poll.options)],
        )
    return {
        "id": row["id"],
        "question": row["question"],
        "created_at": _iso(row["created_at"]),
        "options": _options(conn, row["id"]),
    }


def get_poll(conn: psycopg.Connection[Any], poll_id: int) -> Row | None:
    cur = conn.cursor(row_factory=dict_row)
    row = cur.execute("SELECT id, question, created_at FROM polls WHERE id = %s", (poll_id,)).fetchone()
    if row is None:
        return None
    return {
        "id": row["id"],
        "question": row["question"],
        "created_at": _iso(row["created_at"]),
        "options": _options(conn, poll_id),
    }


def list_polls(conn: psycopg.Connection[Any], limit: int, before: int | None) -> tuple[list[Row], int | None]:
    """Newest first, keyset-paged on id; returns the page and the cursor for the next one (None at the end)."""
    cur = conn.cursor(row_factory=dict_row)
    rows = cur.execute(
        "SELECT id, question, created_at FROM polls WHERE (%(before)s::bigint IS NULL OR id < %(before)s) "
        "ORDER BY id DESC LIMIT %(limit)s",
        {"before": before, "limit": limit + 1},
    ).fetchall()
    page = [{"id": r["id"], "question": r["question"], "created_at": _iso(r["created_at"])} for r in rows[:limit]]
    next_before = page[-1]["id"] if len(rows) > limit else None
    return page, next_before


def add_vote(conn: psycopg.Connection[Any], poll_id: int, option_id: int) -> Row | None:
    """Records one vote. None when the poll does not exist; OptionNotInPoll when the option is not the poll's."""
    cur = conn.cursor(row_factory=dict_row)
    with conn.transaction():
        row = cur.execute(
            "INSERT INTO votes (poll_id, option_id) "
            "SELECT poll_id, id FROM poll_options WHERE poll_id = %s AND id = %s "
            "RETURNING id, poll_id, option_id, created_at",
            (poll_id, option_id),
        ).fetchone()
    if row is not None:
        return {
            "id": row["id"],
            "poll_id": row["poll_id"],
            "option_id": row["option_id"],
            "created_at": _iso(row["created_at"]),
        }
    if conn.execute("SELECT 1 FROM polls WHERE id = %s", (poll_id,)).fetchone() is None:
        return None
    raise OptionNotInPoll(option_id)


def results(conn: psycopg.Connection[Any], poll_id: int) -> Row | None:
    cur = conn.cursor(row_factory=dict_row)
    poll = cur.execute("SELECT id, question FROM polls WHERE id = %s", (poll_id,)).fetchone()
    if poll is None:
        return None
    counts = cur.execute(
        "SELECT o.id, o.text, count(v.id) AS votes FROM poll_options o "
        "LEFT JOIN votes v ON v.poll_id = o.poll_id AND v.option_id = o.id "
        "WHERE o.poll_id = %s GROUP BY o.id, o.text, o.position ORDER BY o.position",
        (poll_id,),
    ).fetchall()
    return {
        "poll_id": poll["id"],
        "question": poll["question"],
        "total_votes": sum(c["votes"] for c in counts),
        "options": [{"id": c["id"], "text": c["text"], "votes": c["votes"]} for c in counts],
    }


def check_ready(pool: ConnectionPool, required_version: str | None, timeout: float) -> None:
    """Raises unless the database answers within `timeout` seconds and holds this build's latest migration."""
    with pool.connection(timeout=timeout) as conn:
        if required_version is None:
            conn.execute("SELECT 1")
            return
        try:
            row = conn.execute(
                "SELECT 1 FROM schema_migrations WHERE version = %s",
                (required_version,),
            ).fetchone()
        except psycopg.errors.UndefinedTable:
            raise SchemaNotReady(required_version) from None
        if row is None:
            raise SchemaNotReady(required_version)


class SchemaNotReady(RuntimeError):
    """The database is reachable but does not yet have this build's migrations."""
