"""Deliberate template-scanner exceptions, written into the resource's own metadata.

checkov reads `Metadata.checkov.skip` and cfn-lint reads `Metadata.cfn-lint.config.ignore_checks`
on the resource itself, so each exception travels with the resource it excuses and carries its
reason; nothing is skipped repository-wide.
"""

from __future__ import annotations

import aws_cdk as cdk
from constructs import IConstruct

VPC_RESTRICT_DEFAULT_SG_PROVIDER = "Custom::VpcRestrictDefaultSGCustomResourceProvider"


def skip_checkov(resource: cdk.CfnResource, check_id: str, comment: str) -> None:
    existing = resource.get_metadata("checkov") or {}
    skips = [*existing.get("skip", []), {"id": check_id, "comment": comment}]
    resource.add_metadata("checkov", {"skip": skips})


def ignore_cfn_lint(resource: cdk.CfnResource, rule_id: str) -> None:
    existing = resource.get_metadata("cfn-lint") or {}
    rules = [*existing.get("config", {}).get("ignore_checks", []), rule_id]
    resource.add_metadata("cfn-lint", {"config": {"ignore_checks": rules}})


def cdk_provider_handler(scope: IConstruct, provider_id: str) -> cdk.CfnResource | None:
    """The Lambda function of one of the CDK's own custom-resource providers in `scope`'s stack."""
    provider = cdk.Stack.of(scope).node.try_find_child(provider_id)
    handler = provider.node.try_find_child("Handler") if provider is not None else None
    return handler if isinstance(handler, cdk.CfnResource) else None
