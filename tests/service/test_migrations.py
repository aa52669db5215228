"""Migrations against the real server: from empty, idempotent, and safe when several tasks start at once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest

from service.polls.config import Settings
from service.polls.migrations import ADVISORY_LOCK_KEY, MIGRATIONS_DIR, MigrationError, load_migrations, migrate

SERVICE_DIR = Path(__file__).resolve().parents[2] / "service"


def recorded_versions(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [row[0] for row in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]


def table_exists(url: str, name: str) -> bool:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()
        return bool(row and row[0])


def test_applies_from_empty_then_is_idempotent(empty_db: str, settings: Settings) -> None:
    # Given an empty database
    expected = [m.version for m in load_migrations()]
    assert expected, "the service ships at least one migration"

    # When migrating twice
    first = migrate(settings)
    second = migrate(settings)

    # Then the first run applies everything, the second nothing, and each version is recorded once
    assert first == expected
    assert second == []
    assert recorded_versions(empty_db) == expected
    for table in ("polls", "poll_options", "votes"):
        assert table_exists(empty_db, table)


def test_concurrent_runners_apply_each_migration_once(empty_db: str, settings: Settings) -> None:
    runners = 6
    barrier = threading.Barrier(runners)
    applied: list[list[str]] = []
    errors: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            applied.append(migrate(settings))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(runners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    expected = [m.version for m in load_migrations()]
    # Exactly one runner did the work; the others found the schema up to date.
    assert sorted(applied, key=len) == [[]] * (runners - 1) + [expected]
    assert recorded_versions(empty_db) == expected


def test_concurrent_processes_via_the_migrate_command(empty_db: str, db_env: dict[str, str]) -> None:
    # The command a one-off ECS task would run, started twice at once as separate processes.
    env = {**os.environ, **db_env, "PYTHONDONTWRITEBYTECODE": "1"}
    commands = [
        subprocess.Popen(
            [sys.executable, "-m", "polls", "migrate"],
            cwd=SERVICE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [command.communicate(timeout=60) for command in commands]
    assert [command.returncode for command in commands] == [0, 0], outputs
    assert recorded_versions(empty_db) == [m.version for m in load_migrations()]


def test_runner_waits_for_the_advisory_lock(empty_db: str, settings: Settings) -> None:
    # Given another session holding the migration lock
    with psycopg.connect(empty_db, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
        done = threading.Event()
        worker = threading.Thread(target=lambda: (migrate(settings), done.set()))
        worker.start()

        # Then the runner waits and changes nothing
        assert not done.wait(timeout=1.0)
        assert not table_exists(empty_db, "schema_migrations")

        # When the lock is released, it proceeds
        holder.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))
        assert done.wait(timeout=30)
        worker.join()
    assert recorded_versions(empty_db) == [m.version for m in load_migrations()]


def test_lock_wait_is_bounded(empty_db: str, settings: Settings) -> None:
    with psycopg.connect(empty_db, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
        with pytest.raises(psycopg.errors.LockNotAvailable):
            migrate(settings, lock_timeout_s=1)


def test_failing_migration_leaves_no_trace(empty_db: str, settings: Settings, tmp_path: Path) -> None:
    # Given a good migration followed by one that fails halfway through
    (tmp_path / "0001_good.sql").write_text("CREATE TABLE good (id int);")
    (tmp_path / "0002_bad.sql").write_text("CREATE TABLE half (id int);\nSELECT * FROM missing_table;")

    with pytest.raises(psycopg.errors.UndefinedTable):
        migrate(settings, directory=tmp_path)

    # Then the good one is recorded and the bad one rolled back entirely
    assert recorded_versions(empty_db) == ["0001"]
    assert table_exists(empty_db, "good")
    assert not table_exists(empty_db, "half")


def test_edited_migration_is_refused(empty_db: str, settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE first (id int);")
    migrate(settings, directory=tmp_path)
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE first (id bigint);")

    with pytest.raises(MigrationError, match=r"0001_first\.sql was changed after it was applied"):
        migrate(settings, directory=tmp_path)


def test_migration_names_are_checked(tmp_path: Path) -> None:
    (tmp_path / "1_oops.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"must be named NNNN_lowercase_words\.sql"):
        load_migrations(tmp_path)


def test_shipped_migrations_are_well_formed() -> None:
    migrations = load_migrations(MIGRATIONS_DIR)
    assert [m.version for m in migrations] == sorted(m.version for m in migrations)
