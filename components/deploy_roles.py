"""Keyless identities: per environment a deploy role and a read-only drift role; one role for `cdk diff`.

The identity providers exist once per account (the account baseline creates them); these roles only
reference them by ARN. Each role can do one thing: assume the CDK bootstrap roles of its environment,
which hold the actual deploy permissions and are scoped by `cdk bootstrap`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from components.drift_reads import drift_reads
from components.managed_policies import MANAGED_POLICIES_PER_ROLE, split_actions
from config.model import EnvironmentConfig, GitLabConfig, RepositoryConfig

GITHUB_HOST = "token.actions.githubusercontent.com"
# The one audience both providers are registered with; a typo here breaks every deploy.
AUDIENCE = "sts.amazonaws.com"
BOOTSTRAP_QUALIFIER = "hnb659fds"
BOOTSTRAP_ROLE_KINDS = ("deploy", "file-publishing", "image-publishing", "lookup")
# The nightly drift job runs from the default branch only: scheduled workflows run on it.
DRIFT_BRANCH = "main"
# What `cdk drift` calls, with the caller's own credentials: it assumes no bootstrap role for drift
# (toolkit-lib's drift action reads with the base credentials), so the lookup role alone cannot serve.
DRIFT_ACTIONS = (
    "cloudformation:DescribeStackResourceDrifts",
    "cloudformation:DescribeStacks",
    "cloudformation:DetectStackDrift",
    "cloudformation:DetectStackResourceDrift",
)
MAX_SESSION = cdk.Duration.hours(1)
DRIFT_READS_SID = "ReadResourcesForDriftDetection"


@dataclass(frozen=True)
class TargetEnvironment:
    """Where an environment deploys: its account (None: the account this stack is deployed into) and region."""

    account: str | None
    region: str


def github_subject(repository: RepositoryConfig, context: str) -> str:
    """`repo:OWNER/REPO:<context>`, or GitHub's immutable `repo:OWNER@ID/REPO@ID:<context>` when ids are set."""
    if repository.owner_id and repository.repository_id:
        return f"repo:{repository.owner}@{repository.owner_id}/{repository.name}@{repository.repository_id}:{context}"
    return f"repo:{repository.full_name}:{context}"


def github_deploy_subject(env: EnvironmentConfig) -> str:
    # With reviewers, the GitHub environment (its protection rules) is what a token must prove; without,
    # the exact branch that deploys the environment.
    context = f"environment:{env.name}" if env.approval_required else f"ref:refs/heads/{env.branch}"
    return github_subject(env.repository, context)


def gitlab_deploy_subject(gitlab: GitLabConfig, env: EnvironmentConfig) -> str:
    return f"project_path:{gitlab.project_path}:ref_type:branch:ref:{env.branch}"


def bootstrap_role_arn(stack: cdk.Stack, target: TargetEnvironment, kind: str) -> str:
    account = target.account or stack.account
    return stack.format_arn(
        service="iam",
        region="",
        account=account,
        resource="role",
        resource_name=f"cdk-{BOOTSTRAP_QUALIFIER}-{kind}-role-{account}-{target.region}",
    )


def environment_stacks_arn(stack: cdk.Stack, env: EnvironmentConfig) -> str:
    """The CloudFormation stacks of one environment: the Stage names them `<Stage>-<Stack>`."""
    return stack.format_arn(
        service="cloudformation",
        account=env.account or stack.account,
        region=env.region,
        resource="stack",
        resource_name=f"{env.stage_id}-*/*",
    )


class DeployRoles(Construct):
    """`deploy_roles[env]`: assumable from that environment's workflow only; `diff_role`: from pull requests;
    `drift_roles[env]`: from the default branch, read-only (drift detection and findings import).

    `resource_types[env]` are the CloudFormation types in that environment's stacks: its drift role may read
    each of them as drift detection does (components/drift_reads.py).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environments: Sequence[EnvironmentConfig],
        resource_types: Mapping[str, Collection[str]],
        gitlab: GitLabConfig | None,
    ) -> None:
        super().__init__(scope, construct_id)
        if not environments:
            raise ValueError("DeployRoles needs at least one environment; got none")
        missing = [env.name for env in environments if env.name not in resource_types]
        if missing:
            raise ValueError(f"DeployRoles needs the resource types of every environment; none for {missing}")
        stack = cdk.Stack.of(self)
        self.github_provider_arn = stack.format_arn(
            service="iam", region="", resource="oidc-provider", resource_name=GITHUB_HOST
        )
        self.gitlab_provider_arn = (
            stack.format_arn(service="iam", region="", resource="oidc-provider", resource_name=gitlab.host)
            if gitlab
            else None
        )
        self.deploy_roles: dict[str, iam.Role] = {}
        for env in environments:
            target = TargetEnvironment(account=env.account, region=env.region)
            role = iam.Role(
                self,
                f"{env.stage_id}DeployRole",
                description=f"{env.name}: OIDC deploys; may only assume the environment's CDK bootstrap roles",
                assumed_by=self._github(github_deploy_subject(env)),
                max_session_duration=MAX_SESSION,
            )
            if gitlab is not None:
                role.assume_role_policy.add_statements(  # type: ignore[union-attr]
                    self._gitlab_statement(gitlab, gitlab_deploy_subject(gitlab, env))
                )
            iam.ManagedPolicy(
                self,
                f"{env.stage_id}DeployPolicy",
                description=f"{env.name}: assume the CDK bootstrap roles, nothing else",
                roles=[role],
                statements=[
                    iam.PolicyStatement(
                        sid="AssumeBootstrapRoles",
                        actions=["sts:AssumeRole"],
                        resources=[bootstrap_role_arn(stack, target, kind) for kind in BOOTSTRAP_ROLE_KINDS],
                    )
                ],
            )
            self.deploy_roles[env.name] = role
            cdk.CfnOutput(self, f"{env.stage_id}DeployRoleArn", value=role.role_arn)

        # Pull requests may only read: the lookup role (ReadOnlyAccess without KMS decrypt, set up by
        # `cdk bootstrap`) is all `cdk diff` needs to fetch the deployed templates.
        self.diff_role = iam.Role(
            self,
            "DiffRole",
            description="cdk diff on pull requests: may only assume the environments' CDK lookup roles",
            assumed_by=self._github(github_subject(environments[0].repository, "pull_request")),
            max_session_duration=MAX_SESSION,
        )
        iam.ManagedPolicy(
            self,
            "DiffPolicy",
            description="assume the CDK lookup roles of every environment, nothing else",
            roles=[self.diff_role],
            statements=[
                iam.PolicyStatement(
                    sid="AssumeLookupRoles",
                    actions=["sts:AssumeRole"],
                    resources=sorted(
                        {
                            bootstrap_role_arn(stack, TargetEnvironment(env.account, env.region), "lookup")
                            for env in environments
                        }
                    ),
                )
            ],
        )
        cdk.CfnOutput(self, "DiffRoleArn", value=self.diff_role.role_arn)

        self.drift_roles: dict[str, iam.Role] = {}
        for env in environments:
            self.drift_roles[env.name] = self._drift_role(stack, env, resource_types[env.name])
        # The value of the repository variable AWS_DRIFT_ROLE_ARNS, as drift.yml reads it: environment -> ARN.
        cdk.CfnOutput(
            self,
            "DriftRoleArns",
            description="AWS_DRIFT_ROLE_ARNS: JSON object, environment name -> drift role ARN",
            value=stack.to_json_string({name: role.role_arn for name, role in self.drift_roles.items()}),
        )

    def _drift_role(self, stack: cdk.Stack, env: EnvironmentConfig, resource_types: Collection[str]) -> iam.Role:
        role = iam.Role(
            self,
            f"{env.stage_id}DriftRole",
            description=f"{env.name}: nightly drift detection from the default branch; read-only",
            assumed_by=self._github(github_subject(env.repository, f"ref:refs/heads/{DRIFT_BRANCH}")),
            max_session_duration=MAX_SESSION,
        )
        # The product and hub of the account the role lives in: findings import where the role signs.
        product = stack.format_arn(service="securityhub", resource="product", resource_name=f"{stack.account}/default")
        iam.ManagedPolicy(
            self,
            f"{env.stage_id}DriftPolicy",
            description=f"{env.name}: detect and read drift of the environment's stacks, import the findings",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    sid="DetectDriftOfTheEnvironmentStacks",
                    actions=list(DRIFT_ACTIONS),
                    resources=[environment_stacks_arn(stack, env)],
                ),
                iam.PolicyStatement(
                    sid="PollDriftDetection",
                    # A detection id names no stack: IAM offers no resource-level form of this read.
                    actions=["cloudformation:DescribeStackDriftDetectionStatus"],
                    resources=["*"],
                ),
                iam.PolicyStatement(
                    sid="ImportFindingsIntoTheDefaultProduct",
                    actions=["securityhub:BatchImportFindings"],
                    resources=[product],
                ),
                iam.PolicyStatement(
                    sid="ReadFindingsOfThisAccount",
                    actions=["securityhub:GetFindings"],
                    resources=[stack.format_arn(service="securityhub", resource="hub", resource_name="default")],
                ),
            ],
        )
        self._drift_reads(env, role, resource_types)
        cdk.CfnOutput(self, f"{env.stage_id}DriftRoleArn", value=role.role_arn)
        return role

    def _drift_reads(self, env: EnvironmentConfig, role: iam.Role, resource_types: Collection[str]) -> None:
        """What CloudFormation reads as the caller while it checks each of the environment's resources.

        On "*": most of these Describe/List/Get calls have no resource-level form, and the others would have
        to name resources by the physical ids CloudFormation generates at deploy time. An identity policy
        reaches only the account the role lives in. The reads expose no secret value, no object, decrypt
        nothing. One statement per policy; more policies only when one would pass IAM's size quota.
        """
        # The drift policy above takes one of the role's managed-policy slots.
        groups = split_actions(
            drift_reads(resource_types), sid=DRIFT_READS_SID, max_policies=MANAGED_POLICIES_PER_ROLE - 1
        )
        for number, actions in enumerate(groups, start=1):
            part = f" (part {number} of {len(groups)})" if len(groups) > 1 else ""
            iam.ManagedPolicy(
                self,
                f"{env.stage_id}DriftReadPolicy" + (str(number) if number > 1 else ""),
                description=f"{env.name}: the reads CloudFormation drift detection makes as the caller{part}",
                roles=[role],
                statements=[iam.PolicyStatement(sid=DRIFT_READS_SID, actions=list(actions), resources=["*"])],
            )

    def _github(self, subject: str) -> iam.FederatedPrincipal:
        return iam.FederatedPrincipal(
            self.github_provider_arn,
            conditions={"StringEquals": {f"{GITHUB_HOST}:aud": AUDIENCE, f"{GITHUB_HOST}:sub": subject}},
            assume_role_action="sts:AssumeRoleWithWebIdentity",
        )

    def _gitlab_statement(self, gitlab: GitLabConfig, subject: str) -> iam.PolicyStatement:
        if self.gitlab_provider_arn is None:
            raise ValueError("a GitLab deploy statement needs the GitLab provider, set whenever gitlab is configured")
        return iam.PolicyStatement(
            actions=["sts:AssumeRoleWithWebIdentity"],
            principals=[iam.FederatedPrincipal(self.gitlab_provider_arn)],
            conditions={"StringEquals": {f"{gitlab.host}:aud": AUDIENCE, f"{gitlab.host}:sub": subject}},
        )
