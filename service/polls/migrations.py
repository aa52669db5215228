"""Schema migrations: plain SQL files applied in name order, each once, recorded in schema_migrations.

Several tasks start at once on a deployment, so every runner takes one PostgreSQL advisory lock for the
whole run: the first applies what is missing, the others wait, then find nothing left to do. The table
itself is created under the lock too, because concurrent `CREATE TABLE IF NOT EXISTS` can still collide.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

from .config import Settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Arbitrary but fixed: every runner of this service must use the same key. ("polls" in ASCII.)
ADVISORY_LOCK_KEY = 0x706F6C6C73
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

log = logging.getLogger(__name__)


class MigrationError(RuntimeError):
    """The migrations on disk and the ones recorded in the database disagree, or one failed."""


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if match is None:
            raise MigrationError(f"migration file {path.name} must be named NNNN_lowercase_words.sql")
        migrations.append(Migration(version=match.group(1), name=path.name, sql=path.read_text(encoding="utf-8")))
    versions = [m.version for m in migrations]
    duplicates = sorted({v for v in versions if versions.count(v) > 1})
    if duplicates:
        raise MigrationError(f"more than one migration file has version {', '.join(duplicates)}")
    return migrations


def latest_version(directory: Path = MIGRATIONS_DIR) -> str | None:
    migrations = load_migrations(directory)
    return migrations[-1].version if migrations else None


def migrate(settings: Settings, directory: Path = MIGRATIONS_DIR, lock_timeout_s: int = 120) -> list[str]:
    """Apply every pending migration; returns the versions applied by this call (empty when up to date)."""
    migrations = load_migrations(directory)
    applied_now: list[str] = []
    with psycopg.connect(**settings.connection_kwargs(), autocommit=True) as conn:
        # Waiting longer than this means another runner is stuck; fail so the task restarts visibly.
        conn.execute("SELECT set_config('lock_timeout', %s, false)", (f"{int(lock_timeout_s)}s",))
        # Migrations may run longer than a request's statement timeout.
        conn.execute("SET statement_timeout = 0")
        # Session-level lock: released by the unlock below or, if this process dies, when its connection closes.
        conn.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
        conn.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version     text PRIMARY KEY,
                name        text NOT NULL,
                checksum    text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            )
            """
        )
        recorded = {
            version: (name, checksum)
            for version, name, checksum in conn.execute("SELECT version, name, checksum FROM schema_migrations")
        }
        known = {m.version for m in migrations}
        unknown = sorted(set(recorded) - known)
        if unknown:
            # The database is ahead of this build: a deployment rolled back to older code. Migrations are
            # written to stay compatible with the previous release, so the old code keeps running.
            log.warning("database has migrations this build does not know: %s", ", ".join(unknown))
        for migration in migrations:
            if migration.version in recorded:
                name, checksum = recorded[migration.version]
                if checksum != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.name} was changed after it was applied (as {name}); "
                        "add a new migration instead of editing an applied one"
                    )
                continue
            log.info("applying migration %s", migration.name, extra={"version": migration.version})
            # One transaction per file: a failing file leaves no half-applied schema and no record.
            with conn.transaction():
                conn.execute(migration.sql.encode())
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                    (migration.version, migration.name, migration.checksum),
                )
            applied_now.append(migration.version)
        conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))
    log.info("schema is up to date", extra={"version": migrations[-1].version if migrations else None})
    return applied_now
