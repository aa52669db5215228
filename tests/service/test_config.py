"""Configuration comes only from the environment and fails early, naming the variable."""

from __future__ import annotations

import pytest

from service.polls.config import ConfigError, load_settings

BASE = {
    "DB_HOST": "db.internal",
    "DB_NAME": "polls",
    "DB_USERNAME": "polls_app",
    "DB_PASSWORD": "s3cret-Passw0rd",
}
PASSWORD = BASE["DB_PASSWORD"]


def test_defaults_match_the_ecs_contract() -> None:
    settings = load_settings(BASE)
    assert settings.port == 8080
    assert settings.db_port == 5432
    # TLS without CA verification by default: verify-full needs the RDS CA bundle in the image.
    assert settings.db_sslmode == "require"
    assert settings.migrate_on_start is True


@pytest.mark.parametrize("name", ["DB_HOST", "DB_NAME", "DB_USERNAME", "DB_PASSWORD"])
def test_missing_required_variable_is_named(name: str) -> None:
    env = {k: v for k, v in BASE.items() if k != name}
    with pytest.raises(ConfigError, match=rf"^environment variable {name} is required"):
        load_settings(env)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PORT", "80", r"PORT=80 is out of range; allowed 1024\.\.65535"),
        ("PORT", "eighty", r"PORT='eighty' is not an integer"),
        ("DB_PORT", "70000", r"DB_PORT=70000 is out of range"),
        ("DB_SSLMODE", "on", r"DB_SSLMODE='on' is not allowed; use one of disable, allow, prefer, require"),
        ("LOG_LEVEL", "chatty", r"LOG_LEVEL='chatty' is not allowed"),
        ("MIGRATE_ON_START", "maybe", r"MIGRATE_ON_START='maybe' is not a boolean"),
        ("WEB_THREADS", "0", r"WEB_THREADS=0 is out of range"),
    ],
)
def test_invalid_value_is_named(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({**BASE, name: value})


def test_verify_full_requires_a_ca_bundle() -> None:
    with pytest.raises(ConfigError, match="DB_SSLROOTCERT is required when DB_SSLMODE=verify-full"):
        load_settings({**BASE, "DB_SSLMODE": "verify-full"})
    settings = load_settings({**BASE, "DB_SSLMODE": "verify-full", "DB_SSLROOTCERT": "/app/rds-ca.pem"})
    assert settings.connection_kwargs()["sslrootcert"] == "/app/rds-ca.pem"


def test_password_is_not_in_repr() -> None:
    settings = load_settings(BASE)
    assert PASSWORD not in repr(settings)
    assert settings.connection_kwargs()["password"] == PASSWORD


def test_values_are_parsed() -> None:
    settings = load_settings({**BASE, "PORT": "9000", "DB_PORT": "6432", "LOG_LEVEL": "debug", "MIGRATE_ON_START": "0"})
    assert (settings.port, settings.db_port, settings.log_level, settings.migrate_on_start) == (
        9000,
        6432,
        "DEBUG",
        False,
    )
