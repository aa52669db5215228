"""The cdk-nag rule packs every synth must pass, registered once on the app."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks

# Pack names as the validation report prints them; acknowledgement ids start with one of these.
VALIDATION_REPORT = "validation-report.json"
PACK_NAMES = ("AwsSolutions", "NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321", "Serverless")


def register_rule_packs(app: cdk.App, validation_plugin: cdk.IPolicyValidationPlugin | None = None) -> None:
    """The five packs; then `validation_plugin`, when given, in place of aws-cdk-lib's CloudFormation validation.

    aws-cdk-lib runs its own after the plugins an app registers; `validation_plugin` takes that place.
    """
    validations = cdk.Validations.of(app)
    for pack in (AwsSolutionsChecks, NIST80053R5Checks, HIPAASecurityChecks, PCIDSS321Checks, ServerlessChecks):
        validations.add_plugins(pack(app, verbose=True))
    if validation_plugin is not None:
        validations.add_plugins(validation_plugin)


@dataclass(frozen=True)
class Refusal:
    pack: str
    # How the report printed it: `ERROR <rule description> (<pack>)`, the construct path, the id to acknowledge.
    lines: tuple[str, ...]


def refusals(assembly_dir: Path) -> list[Refusal]:
    """Every unacknowledged finding of the rule packs whose report in `assembly_dir` is not a success.

    Under the CDK CLI the app runs in "process" mode, where aws-cdk-lib records a failed validation in
    the report and in its own Node.js process's exit code, but neither raises in the app nor shows the
    findings: the app must read the report itself, or `cdk synth` would exit 0 on a refused synth.
    """
    report_file = assembly_dir / VALIDATION_REPORT
    if not report_file.exists():
        return []
    report = json.loads(report_file.read_text())
    found = []
    for plugin in report.get("pluginReports", []):
        if plugin.get("conclusion") == "success":
            continue
        pack = plugin["pluginName"]
        for violation in plugin.get("violations", []):
            for construct in violation.get("violatingConstructs", []):
                found.append(
                    Refusal(
                        pack=pack,
                        lines=(
                            f"{violation['severity'].upper()} {violation['description']} ({pack})",
                            f"   {construct['constructPath']}",
                            f"   Acknowledge with '{pack}::{violation['ruleName']}'",
                        ),
                    )
                )
    return found
