"""Command line: `python -m polls migrate` applies pending schema migrations and exits.

The server also migrates at startup (MIGRATE_ON_START, default true); this command is for running
migrations as a separate step, e.g. a one-off ECS task before a deployment.
"""

from __future__ import annotations

import argparse
import logging
import sys

import psycopg

from .config import ConfigError, load_settings
from .logs import configure_logging
from .migrations import MigrationError, migrate

log = logging.getLogger("polls")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m polls")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply pending schema migrations, then exit")
    parser.parse_args(argv)

    try:
        settings = load_settings()
    except ConfigError as exc:
        configure_logging()
        log.critical("invalid configuration: %s", exc)
        return 2
    configure_logging(settings.log_level, secrets=[settings.db_password])
    try:
        applied = migrate(settings)
    except (MigrationError, psycopg.Error) as exc:
        log.critical("migration failed: %s", exc)
        return 1
    log.info("applied %d migration(s)", len(applied))
    return 0


if __name__ == "__main__":
    sys.exit(main())
