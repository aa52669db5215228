"""Configuration loading: every bad value stops before any construct, with a message that says why."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from config import ENVIRONMENT_NAMES, ConfigError, Profile, load_environments
from config.loader import CONFIG_DIR


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def edit(config_dir: Path, name: str, old: str, new: str) -> None:
    path = config_dir / f"{name}.toml"
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def problems_of(config_dir: Path, selected: str | None = None) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load_environments(selected, config_dir)
    return raised.value.problems


def test_shipped_configuration_loads_all_five_environments_in_promotion_order() -> None:
    environments = load_environments()
    assert [e.name for e in environments] == ["dev", "qa", "staging", "uat", "prod"]
    assert {e.name: e.branch for e in environments} == {
        "dev": "develop",
        "qa": "qa",
        "staging": "stable",
        "uat": "uat",
        "prod": "main",
    }
    assert {e.name: e.profile for e in environments} == {
        "dev": Profile.LEAN,
        "qa": Profile.LEAN,
        "staging": Profile.ENTERPRISE,
        "uat": Profile.ENTERPRISE,
        "prod": Profile.ENTERPRISE,
    }
    assert {e.name: e.gate.block_at for e in environments} == {
        "dev": "CRITICAL",
        "qa": "HIGH",
        "staging": "HIGH",
        "uat": "HIGH",
        "prod": "MEDIUM",
    }


def test_environment_objects_are_frozen() -> None:
    dev = load_environments("dev")[0]
    with pytest.raises(AttributeError):
        dev.region = "us-east-1"  # type: ignore[misc]


def test_selecting_one_environment_returns_only_it() -> None:
    assert [e.name for e in load_environments("qa")] == ["qa"]


def test_unknown_environment_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError) as raised:
        load_environments("nope")
    message = str(raised.value)
    assert "'nope'" in message
    for name in ENVIRONMENT_NAMES:
        assert name in message


def test_overlapping_cidr_in_one_account_names_both_environments(config_dir: Path) -> None:
    edit(config_dir, "qa", 'vpc_cidr = "10.20.0.0/16"', 'vpc_cidr = "10.10.128.0/17"')
    [problem] = problems_of(config_dir)
    assert "network.vpc_cidr" in problem
    assert "'10.10.128.0/17'" in problem
    assert "'qa'" in problem
    assert "'dev'" in problem


def test_same_cidr_in_different_accounts_is_allowed(config_dir: Path) -> None:
    edit(config_dir, "dev", 'branch = "develop"', 'branch = "develop"\naccount = "111111111111"')
    edit(config_dir, "qa", 'branch = "qa"', 'branch = "qa"\naccount = "222222222222"')
    edit(config_dir, "qa", 'vpc_cidr = "10.20.0.0/16"', 'vpc_cidr = "10.10.0.0/16"')
    assert len(load_environments(None, config_dir)) == 5


@pytest.mark.parametrize(
    ("name", "old", "new", "expected"),
    [
        ("qa", 'vpc_cidr = "10.20.0.0/16"', 'vpc_cidr = "10.20.0.0/33"', ["network.vpc_cidr", "'10.20.0.0/33'"]),
        ("qa", 'vpc_cidr = "10.20.0.0/16"', 'vpc_cidr = "10.20.0.1/16"', ["network.vpc_cidr", "host bits"]),
        ("qa", 'vpc_cidr = "10.20.0.0/16"', 'vpc_cidr = "8.8.0.0/16"', ["network.vpc_cidr", "RFC 1918"]),
        ("dev", "log_retention_days = 14", "log_retention_days = 7", ["log_retention_days", "= 7", "at least 14"]),
        ("prod", "log_retention_days = 365", "log_retention_days = 90", ["log_retention_days", "at least 365"]),
        ("dev", "log_retention_days = 14", "log_retention_days = 15", ["log_retention_days", "= 15"]),
        ("staging", "multi_az = true", "multi_az = false", ["database.multi_az", "Multi-AZ"]),
        (
            "prod",
            "backup_retention_days = 14",
            "backup_retention_days = 7",
            ["database.backup_retention_days", "14 to 35"],
        ),
        ("qa", 'branch = "qa"', 'branch = "develop"', ["branch", "'develop'", "'dev'"]),
        ("dev", 'block_at = "CRITICAL"', 'block_at = "SEVERE"', ["gate.block_at", "'SEVERE'", "CRITICAL"]),
        ("dev", 'profile = "lean"', 'profile = "cheap"', ["profile", "'cheap'", "lean, enterprise"]),
        ("dev", "[network]", "[network]\nmax_azs = 1", ["network.max_azs", "2 or 3"]),
        ("prod", "on_demand_base = 2", "on_demand_base = 0", ["service.on_demand_base", "enterprise"]),
        (
            "staging",
            'domain_name = "staging.polls.example.com"',
            'domain_name = "-bad.polls.example.com"',
            ["domain.domain_name"],
        ),
        ("dev", "[network]", "[network]\nmax_azs = true", ["network.max_azs", "integer"]),
    ],
)
def test_bad_value_names_environment_field_value_and_what_is_allowed(
    config_dir: Path, name: str, old: str, new: str, expected: list[str]
) -> None:
    edit(config_dir, name, old, new)
    problems = problems_of(config_dir)
    assert len(problems) == 1, problems
    assert f"environment {name!r}" in problems[0]
    for fragment in expected:
        assert fragment in problems[0]


def test_unknown_key_is_refused_with_the_allowed_keys(config_dir: Path) -> None:
    edit(config_dir, "uat", "[database]", "[database]\nstorage_gb = 50")
    [problem] = problems_of(config_dir)
    assert "'database.storage_gb'" in problem
    assert "allocated_storage_gib" in problem
    assert "uat.toml" in problem


def test_enterprise_without_domain_is_refused(config_dir: Path) -> None:
    path = config_dir / "uat.toml"
    text = path.read_text()
    path.write_text(text[: text.index("# HTTPS only")])
    [problem] = problems_of(config_dir)
    assert "'domain'" in problem
    assert "enterprise" in problem


def test_malformed_toml_names_the_file(config_dir: Path) -> None:
    (config_dir / "qa.toml").write_text("branch = \n")
    [problem] = problems_of(config_dir)
    assert problem.startswith("qa.toml: not valid TOML")


def test_every_problem_is_reported_at_once(config_dir: Path) -> None:
    edit(config_dir, "dev", "log_retention_days = 14", "log_retention_days = 2")
    edit(config_dir, "prod", "backup_retention_days = 14", "backup_retention_days = 3")
    problems = problems_of(config_dir)
    assert len(problems) == 2
    assert any("dev.toml" in p for p in problems)
    assert any("prod.toml" in p for p in problems)
