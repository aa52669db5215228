"""A pipeline in its own tooling account, deploying into environments in other accounts: the whole app
still passes every rule pack, and a config that names environment accounts but no tooling account is
refused by the loader.

The shipped config names no account, so this case is synthesized here from a copy of it: dev shares the
tooling account, qa has its own, staging, uat and prod share a third.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from config import ConfigError, load_delivery, load_environments
from config.loader import CONFIG_DIR
from tests.conftest import new_app

TOOLING = "333333333333"
ACCOUNTS = {
    "dev": TOOLING,
    "qa": "111111111111",
    "staging": "222222222222",
    "uat": "222222222222",
    "prod": "222222222222",
}


def copy_config(target: Path, accounts: dict[str, str], tooling: str | None) -> Path:
    shutil.copytree(CONFIG_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    for name, account in accounts.items():
        path = target / f"{name}.toml"
        path.write_text(f'account = "{account}"\n' + path.read_text())
    if tooling is not None:
        delivery = target / "delivery.toml"
        text = delivery.read_text()
        assert '# account = "111111111111"' in text
        delivery.write_text(text.replace('# account = "111111111111"', f'account = "{tooling}"'))
    return target


@pytest.fixture(scope="module")
def tooling_app(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from config.baselines import load_baselines
    from stacks.platform import build_platform

    config_dir = copy_config(tmp_path_factory.mktemp("tooling") / "config", ACCOUNTS, TOOLING)
    outdir = tmp_path_factory.mktemp("tooling-cdk.out")
    app = new_app(outdir)
    build_platform(
        app,
        load_environments(None, config_dir),
        baselines=load_baselines(None, config_dir),
        delivery=load_delivery(config_dir),
    )
    # A refused synth raises here: every rule pack must pass with accounts named.
    app.synth()
    return {"report": json.loads((outdir / "validation-report.json").read_text())}


def test_every_rule_pack_passes_with_accounts_named(tooling_app: dict) -> None:
    packs = {plugin["pluginName"]: plugin for plugin in tooling_app["report"]["pluginReports"]}
    assert {"AwsSolutions", "NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321"} <= set(packs)
    for name, plugin in packs.items():
        assert plugin["violations"] == [], name
        assert plugin["conclusion"] == "success", name


def test_environments_naming_accounts_without_a_tooling_account_are_refused(tmp_path: Path) -> None:
    # Given environment accounts but no tooling account / Then the loader names the field instead of a jsii error
    config_dir = copy_config(tmp_path / "config", ACCOUNTS, tooling=None)
    with pytest.raises(ConfigError) as raised:
        load_delivery(config_dir)
    [problem] = raised.value.problems
    assert problem.startswith("delivery.toml: field 'account' is missing while environments 'dev' (333333333333)")
    assert "name the tooling account the pipeline runs in" in problem
