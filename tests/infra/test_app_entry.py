"""The app's entry point: a bad environment name or config stops synth with one readable message."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from compliance.rule_packs import PACK_NAMES
from tests.conftest import REPO_ROOT


def run_app(context: dict[str, str], outdir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(outdir)}
    return subprocess.run(
        [sys.executable, "app.py"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_unknown_environment_exits_non_zero_listing_valid_environments(tmp_path: Path) -> None:
    result = run_app({"env": "nope"}, tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "unknown environment 'nope'" in result.stderr
    assert "dev, qa, staging, uat, prod" in result.stderr
    assert "end-of-life" not in result.stderr + result.stdout


def test_overlapping_cidr_exits_non_zero_naming_the_field(tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    shutil.copytree(REPO_ROOT / "config", config_dir, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    qa = config_dir / "qa.toml"
    qa.write_text(qa.read_text().replace('"10.20.0.0/16"', '"10.10.0.0/20"'))
    result = run_app({"config_dir": str(config_dir)}, tmp_path / "out")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "field 'network.vpc_cidr' = '10.10.0.0/20' overlaps environment 'dev'" in result.stderr


def test_cdk_cli_synth_fails_on_an_unacknowledged_finding_and_shows_it(tmp_path: Path) -> None:
    # Given the shipped acknowledgements without the one for PostgreSQL's standard port
    shipped = (REPO_ROOT / "compliance" / "acknowledgements.toml").read_text()
    entries = shipped.split("\n[[acknowledgement]]\n")
    kept = [entry for entry in entries if '"AwsSolutions::AwsSolutions-RDS11"' not in entry]
    assert len(kept) == len(entries) - 1
    acknowledgements = tmp_path / "acknowledgements.toml"
    acknowledgements.write_text("\n[[acknowledgement]]\n".join(kept))

    # When dev is synthesized through the CDK CLI, as `make synth` does (the app then runs in the
    # CLI's "process" mode, where aws-cdk-lib itself does not raise)
    result = subprocess.run(
        [
            str(REPO_ROOT / "node_modules" / ".bin" / "cdk"),
            "synth",
            "--quiet",
            "--no-notices",
            "--ci",
            "-c",
            "env=dev",
            "-c",
            f"acknowledgements={acknowledgements}",
            "--output",
            str(tmp_path / "cdk.out"),
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "AWS_EC2_METADATA_DISABLED": "true", "CDK_DISABLE_CLI_TELEMETRY": "true"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    # Then the synth fails, naming the rule, the construct path and the id to acknowledge it with
    assert result.returncode != 0
    assert "Dev/Data/Database/Instance/Resource" in result.stderr
    assert "Acknowledge with 'AwsSolutions::AwsSolutions-RDS11'" in result.stderr
    assert "the compliance gate refused this synth" in result.stderr
    # And the worker's CloudFormation validation stood where aws-cdk-lib's own does, after the packs:
    # one report per plugin, the engine's version in it
    report = json.loads((tmp_path / "cdk.out" / "validation-report.json").read_text())
    assert [plugin["pluginName"] for plugin in report["pluginReports"]] == [*PACK_NAMES, "CloudFormation Validate"]
    assert report["pluginReports"][-1]["pluginVersion"]
