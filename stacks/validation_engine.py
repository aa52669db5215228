"""Build the CloudFormation validation engine while Python imports the aws-cdk-lib modules the app uses.

aws-cdk-lib validates every template at synth with `CloudFormationValidatePlugin`, whose engine takes
about a second of Node.js work to build, on the kernel's thread, before it validates anything. The
app's import of the aws-cdk-lib modules it uses is about as long, on Python's thread, and needs
nothing from the kernel (the generated modules only define classes; jsii loaded the library when
aws_cdk was imported). Done one after the other, the two cost their sum; here the plugin is
constructed on a second thread, which waits for the kernel without holding the interpreter, while
this thread imports the modules: with two CPUs they cost the longer of the two. The plugin is then
registered on the app (`compliance.rule_packs.register_rule_packs`), which replaces the instance
aws-cdk-lib would otherwise build during synthesis: same class, same default settings, same rules.

`cdk synth --no-validation` (the CLI then sets `CDK_VALIDATION=false` for the app) turns aws-cdk-lib's
own instance off; it turns this one off too: no plugin is built and none is registered.

Nothing else may call into the kernel while the plugin is being built, since jsii's pipe carries one
request at a time: only modules named in `AWS_CDK_MODULES` are imported meanwhile (never cdk-nag,
whose import loads its library into the kernel, nor the app's own modules, some of which read
aws-cdk-lib constants when imported). A module missing from the list is imported later, as usual.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Iterable

import aws_cdk as cdk

# Every aws-cdk-lib module the app's code imports (tests/infra/test_validation_engine.py keeps the
# list complete).
AWS_CDK_MODULES = (
    "aws_cdk.aws_accessanalyzer",
    "aws_cdk.aws_applicationautoscaling",
    "aws_cdk.aws_autoscaling",
    "aws_cdk.aws_backup",
    "aws_cdk.aws_certificatemanager",
    "aws_cdk.aws_cloudtrail",
    "aws_cdk.aws_cloudwatch",
    "aws_cdk.aws_cloudwatch_actions",
    "aws_cdk.aws_codebuild",
    "aws_cdk.aws_codepipeline",
    "aws_cdk.aws_codepipeline_actions",
    "aws_cdk.aws_codestarnotifications",
    "aws_cdk.aws_config",
    "aws_cdk.aws_ec2",
    "aws_cdk.aws_ecr",
    "aws_cdk.aws_ecr_assets",
    "aws_cdk.aws_ecs",
    "aws_cdk.aws_elasticloadbalancing",
    "aws_cdk.aws_elasticloadbalancingv2",
    "aws_cdk.aws_events",
    "aws_cdk.aws_events_targets",
    "aws_cdk.aws_guardduty",
    "aws_cdk.aws_iam",
    "aws_cdk.aws_kms",
    "aws_cdk.aws_lambda",
    "aws_cdk.aws_logs",
    "aws_cdk.aws_rds",
    "aws_cdk.aws_route53",
    "aws_cdk.aws_route53_targets",
    "aws_cdk.aws_s3",
    "aws_cdk.aws_s3_assets",
    "aws_cdk.aws_secretsmanager",
    "aws_cdk.aws_securityhub",
    "aws_cdk.aws_signer",
    "aws_cdk.aws_sns",
    "aws_cdk.aws_sns_subscriptions",
    "aws_cdk.aws_sqs",
    "aws_cdk.aws_wafv2",
    "aws_cdk.custom_resources",
    "aws_cdk.pipelines",
    "aws_cdk.region_info",
)


def validation_plugin_built_while_importing(
    modules: Iterable[str] = AWS_CDK_MODULES,
) -> cdk.CloudFormationValidatePlugin | None:
    """The default CloudFormation validation plugin, built while `modules` (aws-cdk-lib's only) are imported.

    None, after importing them, when validation is turned off (`CDK_VALIDATION=false`).
    """
    if os.environ.get("CDK_VALIDATION") == "false":  # the one value aws-cdk-lib honours
        for name in modules:
            importlib.import_module(name)
        return None
    outcome: list[cdk.CloudFormationValidatePlugin | BaseException] = []

    def build() -> None:
        try:
            outcome.append(cdk.CloudFormationValidatePlugin())
        except BaseException as error:  # handed to the main thread, raised there
            outcome.append(error)

    builder = threading.Thread(target=build, name="validation-engine")
    builder.start()
    try:
        for name in modules:
            if not name.startswith("aws_cdk."):
                raise ValueError(f"{name!r}: only aws-cdk-lib modules may be imported while the engine is built")
            importlib.import_module(name)
    finally:
        builder.join()
    (result,) = outcome
    if isinstance(result, BaseException):
        raise result
    return result
