"""The validation engine is built while only aws-cdk-lib modules are imported, and those are all the app uses."""

from __future__ import annotations

import json
import subprocess
import sys

import aws_cdk as cdk
import pytest

from stacks.validation_engine import AWS_CDK_MODULES, validation_plugin_built_while_importing
from tests.conftest import REPO_ROOT


def _run(script: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=True
    )
    return done.stdout.strip().splitlines()[-1]


def test_the_list_is_exactly_the_aws_cdk_lib_modules_the_app_imports() -> None:
    script = """
import json, sys
import aws_cdk
before = set(sys.modules)
import compliance.acknowledgements, compliance.rule_packs, config, config.baselines, stacks.platform
new = {name for name in set(sys.modules) - before if name.startswith("aws_cdk.") and name.count(".") == 1}
print(json.dumps(sorted(new)))
"""
    assert json.loads(_run(script)) == sorted(AWS_CDK_MODULES)


def test_importing_the_listed_modules_sends_nothing_to_the_kernel() -> None:
    # jsii's pipe carries one request at a time: the engine's construction must be the only one.
    script = f"""
import importlib
import aws_cdk
from jsii._kernel.providers import process
requests = []
send = process._NodeProcess.send
def counted(self, request, response_type):
    requests.append(request)
    return send(self, request, response_type)
process._NodeProcess.send = counted
for name in {list(AWS_CDK_MODULES)!r}:
    importlib.import_module(name)
print(len(requests))
"""
    assert _run(script) == "0"


def test_the_engine_is_aws_cdk_libs_default_plugin() -> None:
    plugin = validation_plugin_built_while_importing(("aws_cdk.aws_s3",))
    assert isinstance(plugin, cdk.CloudFormationValidatePlugin)
    assert plugin.name == "CloudFormation Validate"


def test_only_aws_cdk_lib_modules_may_be_imported_meanwhile() -> None:
    with pytest.raises(ValueError, match="only aws-cdk-lib modules"):
        validation_plugin_built_while_importing(("compliance.rule_packs",))


def test_a_failed_import_is_raised_once_the_engine_is_built() -> None:
    with pytest.raises(ModuleNotFoundError):
        validation_plugin_built_while_importing(("aws_cdk.aws_no_such_service",))


def test_no_plugin_is_built_when_the_cli_turns_validation_off(monkeypatch: pytest.MonkeyPatch) -> None:
    # `cdk synth --no-validation` sets CDK_VALIDATION=false for the app, as aws-cdk-lib expects.
    monkeypatch.setenv("CDK_VALIDATION", "false")
    assert validation_plugin_built_while_importing(("aws_cdk.aws_s3",)) is None
