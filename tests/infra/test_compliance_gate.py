"""Every synth passes the rule packs; an unacknowledged violation fails it, naming rule and path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import aws_s3 as s3

from config import load_environments
from stacks.platform import build_platform
from tests.conftest import new_app


def test_unencrypted_bucket_fails_synth_naming_the_rule_and_the_construct_path(tmp_path: Path) -> None:
    # Given the real dev environment with one unencrypted bucket added to its data stack
    app = new_app(tmp_path)
    platform = build_platform(app, load_environments("dev"), delivery=None)
    s3.Bucket(platform.stages[0].data, "UnencryptedBucket", encryption=s3.BucketEncryption.UNENCRYPTED)

    # When it is synthesized, then the compliance gate refuses it
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()

    report = json.loads((tmp_path / "validation-report.json").read_text())
    violations = [
        (violation["ruleName"], location["constructPath"])
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
        for location in violation["violatingConstructs"]
    ]
    bucket_path = "Dev/Data/UnencryptedBucket/Resource"
    assert ("NIST.800.53.R5-S3DefaultEncryptionKMS", bucket_path) in violations
    assert ("AwsSolutions-S10", bucket_path) in violations
    # Only the added bucket is refused: the platform itself passes every pack.
    assert {path for _, path in violations} == {bucket_path}


def test_whole_app_passes_every_rule_pack(synthesized) -> None:
    report = json.loads((synthesized.outdir / "validation-report.json").read_text())
    packs = {plugin["pluginName"]: plugin for plugin in report["pluginReports"]}
    # Serverless reports only once the app holds a Lambda function of its own.
    assert {"AwsSolutions", "NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321"} <= set(packs)
    for name, plugin in packs.items():
        assert plugin["violations"] == [], name
        assert plugin["conclusion"] == "success", name
