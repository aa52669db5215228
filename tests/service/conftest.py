"""Fixtures for the polls workload's tests: a real PostgreSQL server, never a mock.

Start it with `scripts/test-postgres.sh`; the default URL below is what that script creates. Point the
tests elsewhere with POLLS_TEST_DATABASE_URL.
"""

from __future__ import annotations

import io
import logging
import os
import socket
from collections.abc import Callable, Iterable, Iterator

import psycopg
import pytest
from flask.testing import FlaskClient
from psycopg.conninfo import conninfo_to_dict

from service.polls.app import create_app
from service.polls.config import Settings, load_settings
from service.polls.logs import configure_logging
from service.polls.migrations import migrate

DEFAULT_DATABASE_URL = "postgresql://polls_test:polls_test@127.0.0.1:5432/polls_test"
DATABASE_URL_VARIABLE = "POLLS_TEST_DATABASE_URL"


def _database_url() -> str:
    return os.environ.get(DATABASE_URL_VARIABLE, "").strip() or DEFAULT_DATABASE_URL


def env_for(url: str, **overrides: str) -> dict[str, str]:
    """The environment the service would get on ECS, for the database at `url`."""
    parts = conninfo_to_dict(url)
    env = {
        "DB_HOST": str(parts.get("host", "127.0.0.1")),
        "DB_PORT": str(parts.get("port", "5432")),
        "DB_NAME": str(parts["dbname"]),
        "DB_USERNAME": str(parts["user"]),
        "DB_PASSWORD": str(parts.get("password", "")),
        # The test server may or may not offer TLS; on AWS the default (require) applies.
        "DB_SSLMODE": str(parts.get("sslmode", "prefer")),
        "DB_CONNECT_TIMEOUT": "2",
    }
    env.update(overrides)
    return env


def closed_port() -> int:
    """A local TCP port with nothing listening: connections to it are refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture(scope="session")
def database_url() -> str:
    url = _database_url()
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        safe = url.replace(str(conninfo_to_dict(url).get("password", "")) or "\0", "***")
        pytest.fail(
            f"tests/service need a running PostgreSQL server and could not reach {safe}: {exc}\n"
            f"Run scripts/test-postgres.sh (it installs and starts one), or set {DATABASE_URL_VARIABLE}.",
            pytrace=False,
        )
    return url


@pytest.fixture(scope="session")
def db_env(database_url: str) -> dict[str, str]:
    return env_for(database_url)


@pytest.fixture(scope="session")
def settings(db_env: dict[str, str]) -> Settings:
    return load_settings(db_env)


@pytest.fixture
def empty_db(database_url: str) -> str:
    """A database with an empty public schema: each test starts from nothing."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return database_url


@pytest.fixture
def migrated_db(empty_db: str, settings: Settings) -> str:
    migrate(settings)
    return empty_db


@pytest.fixture
def client(migrated_db: str, settings: Settings) -> Iterator[FlaskClient]:
    app = create_app(settings)
    try:
        yield app.test_client()
    finally:
        app.extensions["polls.pool"].close()


@pytest.fixture
def capture_logs() -> Iterator[Callable[[Iterable[str]], io.StringIO]]:
    """Routes logging to JSON lines in memory, as the service configures it; restores the root logger after."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level

    def start(secrets: Iterable[str] = ()) -> io.StringIO:
        stream = io.StringIO()
        configure_logging("INFO", secrets=secrets, stream=stream)
        return stream

    try:
        yield start
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)
