"""Shared helpers for the CI definition tests: the parsed workflows and the config's mapping."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from config.loader import load_environments

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO_ROOT / ".github" / "workflows"
GITLAB_CI = REPO_ROOT / ".gitlab-ci.yml"


def workflow_files() -> list[Path]:
    return sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])


def load_yaml(path: Path) -> Any:
    # PyYAML (YAML 1.1) reads the key `on` as the boolean True; GitHub reads it as the string "on".
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_GitHubLoader)  # noqa: S506 - SafeLoader subclass


class _GitHubLoader(yaml.SafeLoader):
    pass


# YAML 1.2 booleans only (true/false), as GitHub reads them: `on`, `yes` and `no` stay strings.
_GitHubLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_GitHubLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@pytest.fixture(scope="session")
def workflows() -> dict[str, Any]:
    files = workflow_files()
    assert files, f"no workflows in {WORKFLOWS}"
    return {path.name: load_yaml(path) for path in files}


@pytest.fixture(scope="session")
def gitlab() -> Any:
    return yaml.safe_load(GITLAB_CI.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def config_branches() -> dict[str, str]:
    """branch -> environment, as config/*.toml declares it."""
    return {environment.branch: environment.name for environment in load_environments()}
