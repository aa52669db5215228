"""The CloudFormation validation plugin the app registers when the worker validates its templates.

`validation_worker.py` says why, and how the two processes share the work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import jsii

from stacks.validation_worker import StackDescription, TemplateValidationWorker

# aws-cdk-lib's CloudFormationValidatePlugin.PLUGIN_NAME: acknowledgements and the report go by it.
PLUGIN_NAME = "CloudFormation Validate"
# cx-api's UNKNOWN_ACCOUNT and UNKNOWN_REGION (not exported to Python): an environment-agnostic stack's.
UNKNOWN_ACCOUNT = "unknown-account"
UNKNOWN_REGION = "unknown-region"


@jsii.implements(cdk.IPolicyValidationPlugin)
class CloudFormationValidationInWorker:
    """aws-cdk-lib's CloudFormation validation, run by the worker: same name, version, rule ids, report."""

    def __init__(self, worker: TemplateValidationWorker) -> None:
        self._worker = worker

    @property
    def name(self) -> str:
        return PLUGIN_NAME

    @property
    def version(self) -> str:
        return self._worker.version

    @property
    def rule_ids(self) -> list[str]:
        return self._worker.rule_ids

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        report = self._worker.validate(described_stacks(context))
        return cdk.PolicyValidationPluginReport(
            success=report["success"],
            violations=[_violation(violation) for violation in report["violations"]],
            metadata=report["metadata"],
            plugin_version=report["pluginVersion"],
        )


def described_stacks(context: cdk.IPolicyValidationContext) -> list[StackDescription]:
    """The stacks aws-cdk-lib hands a plugin, as the worker takes them."""
    return [
        {
            "stackConstructPath": stack.stack_construct_path,
            "templatePath": stack.template_path,
            "accountId": stack.account_id,
            "region": stack.region,
        }
        for stack in context.stack_templates
    ]


def _violation(violation: dict[str, Any]) -> cdk.PolicyViolation:
    return cdk.PolicyViolation(
        rule_name=violation["ruleName"],
        description=violation["description"],
        fix=violation["fix"],
        severity=violation["severity"],
        rule_metadata=violation["ruleMetadata"],
        violating_resources=[
            cdk.PolicyViolatingResource(
                resource_logical_id=resource["resourceLogicalId"],
                construct_path=resource["constructPath"],
                template_path=resource["templatePath"],
                locations=resource["locations"],
            )
            for resource in violation["violatingResources"]
        ],
    )


def synthesized_stacks(stage: cdk.Stage) -> list[StackDescription]:
    """The stage's stacks as aws-cdk-lib will describe them to the plugin, the stage synthesized for it.

    Synthesized as CDK Pipelines synthesizes a stage it deploys; the app's synth reuses it.
    """
    stacks: list[StackDescription] = []
    for stack in stage.synth(validate_on_synthesis=True).stacks:
        environment = stack.environment
        stacks.append(
            {
                "stackConstructPath": stack.hierarchical_id,
                "templatePath": stack.template_full_path,
                "accountId": environment.account if environment.account != UNKNOWN_ACCOUNT else None,
                "region": environment.region if environment.region != UNKNOWN_REGION else None,
            }
        )
    return stacks


def prevalidation_by(worker: TemplateValidationWorker) -> Callable[[cdk.Stage], None]:
    """For each environment's stage, once built: synthesize it and have `worker` validate its templates."""
    return lambda stage: worker.prevalidate(synthesized_stacks(stage))
