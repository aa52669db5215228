"""Security Hub with the standards we report against and insights over the pipeline's findings."""

from __future__ import annotations

import re
from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_securityhub as securityhub
from constructs import Construct

from config.model import EnvironmentConfig

# (construct id, standard path) of the standards enabled in every account.
STANDARDS: tuple[tuple[str, str], ...] = (
    ("FoundationalBestPractices", "aws-foundational-security-best-practices/v/1.0.0"),
    ("CisFoundations", "cis-aws-foundations-benchmark/v/3.0.0"),
)


def pipeline_scope(env: EnvironmentConfig) -> str:
    """The scan scope the delivery pipeline of `env` imports its findings under: `<owner>/<repo>/<branch>`.

    The findings processor starts every finding Id with `<scope>/<scanner>/`, so an Id prefix selects
    a repository's or an environment's findings (Security Hub filters map fields by equality only).
    """
    return f"{env.repository.full_name}/{env.branch}"


def _pascal(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text) if part)


class SecurityHub(Construct):
    """The hub (consolidated control findings), its standards, and one insight per repository and per
    environment over the findings the pipeline imports into the account's custom product."""

    def __init__(self, scope: Construct, construct_id: str, *, environments: Sequence[EnvironmentConfig]) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.hub = securityhub.CfnHub(
            self,
            "Hub",
            # Only the standards below, chosen here, not whatever the service enables by default.
            enable_default_standards=False,
            control_finding_generator="SECURITY_CONTROL",
            auto_enable_controls=True,
        )
        self.standards: list[securityhub.CfnStandard] = []
        for standard_id, path in STANDARDS:
            standard = securityhub.CfnStandard(
                self,
                standard_id,
                standards_arn=stack.format_arn(
                    service="securityhub", account="", resource="standards", resource_name=path
                ),
            )
            standard.add_resource_dependency(self.hub)
            self.standards.append(standard)
        # Where the findings processor imports (BatchImportFindings into the account's default product).
        self.product_arn = stack.format_arn(
            service="securityhub", resource="product", resource_name=f"{stack.account}/default"
        )
        repositories = dict.fromkeys(env.repository.full_name for env in environments)
        for repository in repositories:
            self._insight(
                f"Repository{_pascal(repository)}",
                name=f"Pipeline findings of repository {repository}, by severity",
                id_prefix=f"{repository}/",
            )
        for env in environments:
            self._insight(
                f"Environment{env.stage_id}",
                name=f"Pipeline findings of environment {env.name} ({pipeline_scope(env)}), by severity",
                id_prefix=f"{pipeline_scope(env)}/",
            )

    def _insight(self, insight_id: str, *, name: str, id_prefix: str) -> None:
        insight = securityhub.CfnInsight(
            self,
            insight_id,
            name=name,
            group_by_attribute="SeverityLabel",
            filters=securityhub.CfnInsight.AwsSecurityFindingFiltersProperty(
                product_arn=[securityhub.CfnInsight.StringFilterProperty(comparison="EQUALS", value=self.product_arn)],
                record_state=[securityhub.CfnInsight.StringFilterProperty(comparison="EQUALS", value="ACTIVE")],
                id=[securityhub.CfnInsight.StringFilterProperty(comparison="PREFIX", value=id_prefix)],
            ),
        )
        insight.add_resource_dependency(self.hub)
