"""The CloudFormation validation plugin the app registers when the worker validates its templates, and
the hooks that hand the worker each template as soon as it is written.

`validation_worker.py` says why, and how the two processes share the work.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii

from stacks.validation_worker import StackDescription, TemplateValidationWorker

# aws-cdk-lib's CloudFormationValidatePlugin.PLUGIN_NAME: acknowledgements and the report go by it.
PLUGIN_NAME = "CloudFormation Validate"
# cx-api's UNKNOWN_ACCOUNT and UNKNOWN_REGION (not exported to Python): an environment-agnostic stack's.
UNKNOWN_ACCOUNT = "unknown-account"
UNKNOWN_REGION = "unknown-region"
# A stack in a cloud assembly manifest, and its environment as cx-api parses it.
STACK_ARTIFACT = "aws:cloudformation:stack"
_ENVIRONMENT = re.compile(r"aws://([^/]+)/([^/]+)")


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
        # Every template was handed on as built, described as aws-cdk-lib describes it here: one round
        # trip for the paths, where reading the descriptions takes four per stack (178 for the app).
        stacks = self._worker.handed_on(context.template_paths)
        report = self._worker.validate(stacks if stacks is not None else described_stacks(context))
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

    Synthesized as CDK Pipelines synthesizes a stage it deploys; the app's synth reuses it. Read from
    the stage's cloud assembly manifest, as aws-cdk-lib reads it (cx-api's CloudFormationStackArtifact:
    the hierarchical id is the display name, else the artifact's id; the template's full path is the
    template file in the assembly's folder; the environment is `aws://account/region`): two round trips
    where reading each stack's properties took six per stack.
    """
    directory = stage.synth(validate_on_synthesis=True).directory
    manifest = json.loads(Path(directory, "manifest.json").read_text())
    stacks: list[StackDescription] = []
    for artifact_id, artifact in manifest["artifacts"].items():
        if artifact["type"] != STACK_ARTIFACT:
            continue
        environment = _ENVIRONMENT.fullmatch(artifact["environment"])
        if environment is None:
            raise ValueError(
                f"stack {artifact_id}: environment {artifact['environment']!r} is not aws://ACCOUNT/REGION"
            )
        account, region = environment.groups()
        stacks.append(
            {
                "stackConstructPath": artifact.get("displayName", artifact_id),
                "templatePath": _template_full_path(directory, artifact["properties"]["templateFile"]),
                "accountId": account if account != UNKNOWN_ACCOUNT else None,
                "region": region if region != UNKNOWN_REGION else None,
            }
        )
    return stacks


def written_stack(stack: cdk.Stack, outdir: str) -> StackDescription:
    """An app-level stack, its template written to `outdir`, as aws-cdk-lib will describe it to the plugin."""
    account, region = stack.account, stack.region
    return {
        "stackConstructPath": stack.node.path,
        "templatePath": _template_full_path(outdir, stack.template_file),
        "accountId": None if cdk.Token.is_unresolved(account) else account,
        "region": None if cdk.Token.is_unresolved(region) else region,
    }


def _template_full_path(directory: str, template_file: str) -> str:
    # As cx-api's templateFullPath: Node.js's path.join, which normalizes; the plugin sees these paths.
    return os.path.normpath(os.path.join(directory, template_file))


class PrevalidatingSynthesizer(cdk.DefaultStackSynthesizer):
    """aws-cdk-lib's default synthesizer for one app-level stack, handing its template on once written.

    An app-level stack's template is written by the app's synth, right before the rule packs run:
    handed to the worker then, it is validated while they run (about 0.9 s), where the plugin would
    otherwise wait for it after them.
    """

    def __init__(self, prevalidate: Callable[[Sequence[StackDescription]], None]) -> None:
        super().__init__()
        self._prevalidate = prevalidate

    def reusable_bind(self, stack: cdk.Stack) -> cdk.IBoundStackSynthesizer:
        # aws-cdk-lib binds a copy of a reusable synthesizer, and jsii calls this object's overrides on
        # the copy's behalf: bound itself instead, it serves exactly one stack (aws-cdk-lib refuses a second).
        self.bind(stack)
        return self

    def synthesize(self, session: cdk.ISynthesisSession) -> None:
        super().synthesize(session)
        self._prevalidate([written_stack(self._bound_stack, session.outdir)])


@dataclass(frozen=True)
class ValidationInWorker:
    """The app's hooks into the build and the synth when the worker validates its templates."""

    worker: TemplateValidationWorker

    def plugin(self) -> cdk.IPolicyValidationPlugin:
        return CloudFormationValidationInWorker(self.worker)

    def stage_built(self, stage: cdk.Stage) -> None:
        self.worker.prevalidate(synthesized_stacks(stage))

    def app_stack_synthesizer(self) -> cdk.IStackSynthesizer:
        return PrevalidatingSynthesizer(self.worker.prevalidate)
