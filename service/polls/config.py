"""Settings read once from the environment; a bad value stops the process with a message naming the variable.

On ECS the platform injects DB_USERNAME and DB_PASSWORD as secrets (fields of the RDS-managed secret)
and the rest as plain environment variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


class ConfigError(ValueError):
    """A required environment variable is missing or has a value the service cannot use."""


@dataclass(frozen=True)
class Settings:
    db_host: str
    db_port: int
    db_name: str
    db_username: str
    # Kept out of repr so that printing the settings can never leak it.
    db_password: str = field(repr=False)
    db_sslmode: str
    db_sslrootcert: str | None
    db_connect_timeout: int  # seconds
    db_statement_timeout_ms: int  # milliseconds
    web_concurrency: int
    web_threads: int
    port: int
    log_level: str
    migrate_on_start: bool

    def connection_kwargs(self) -> dict[str, Any]:
        """libpq parameters as keywords: a DSN string would put the password into anything that echoes it."""
        kwargs: dict[str, Any] = {
            "host": self.db_host,
            "port": self.db_port,
            "dbname": self.db_name,
            "user": self.db_username,
            "password": self.db_password,
            "sslmode": self.db_sslmode,
            "connect_timeout": self.db_connect_timeout,
            "application_name": "polls",
            # A stuck query must not hold a worker thread forever.
            "options": f"-c statement_timeout={self.db_statement_timeout_ms}",
        }
        if self.db_sslrootcert:
            kwargs["sslrootcert"] = self.db_sslrootcert
        return kwargs


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} is required and was not set (or is empty)")
    return value


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"environment variable {name}={raw!r} is not an integer") from None
    if not low <= value <= high:
        raise ConfigError(f"environment variable {name}={value} is out of range; allowed {low}..{high}")
    return value


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...], *, upper: bool = False) -> str:
    raw = env.get(name, "").strip()
    value = (raw.upper() if upper else raw) or default
    if value not in allowed:
        raise ConfigError(f"environment variable {name}={raw!r} is not allowed; use one of {', '.join(allowed)}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ConfigError(f"environment variable {name}={raw!r} is not a boolean; use true or false")


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from `env` (default: the process environment), validating every variable."""
    source = os.environ if env is None else env
    sslmode = _choice(source, "DB_SSLMODE", "require", SSL_MODES)
    sslrootcert = source.get("DB_SSLROOTCERT", "").strip() or None
    if sslmode in ("verify-ca", "verify-full") and sslrootcert is None:
        raise ConfigError(
            f"environment variable DB_SSLROOTCERT is required when DB_SSLMODE={sslmode} "
            "(path to the RDS CA bundle inside the image)"
        )
    return Settings(
        db_host=_required(source, "DB_HOST"),
        db_port=_int(source, "DB_PORT", 5432, 1, 65535),
        db_name=_required(source, "DB_NAME"),
        db_username=_required(source, "DB_USERNAME"),
        # Not stripped: a password may legitimately begin or end with spaces.
        db_password=source.get("DB_PASSWORD", "") or _required(source, "DB_PASSWORD"),
        db_sslmode=sslmode,
        db_sslrootcert=sslrootcert,
        db_connect_timeout=_int(source, "DB_CONNECT_TIMEOUT", 5, 1, 60),
        db_statement_timeout_ms=_int(source, "DB_STATEMENT_TIMEOUT_MS", 5000, 100, 600_000),
        # Gunicorn worker processes and threads per worker; each worker's pool holds one connection per thread.
        web_concurrency=_int(source, "WEB_CONCURRENCY", 2, 1, 32),
        web_threads=_int(source, "WEB_THREADS", 4, 1, 64),
        # Non-root processes cannot bind below 1024.
        port=_int(source, "PORT", 8080, 1024, 65535),
        log_level=_choice(source, "LOG_LEVEL", "INFO", LOG_LEVELS, upper=True),
        migrate_on_start=_bool(source, "MIGRATE_ON_START", True),
    )
