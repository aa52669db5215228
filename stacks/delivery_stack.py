"""The delivery path, once, in the tooling account: deploy identities, the pipeline, the findings gate."""

from __future__ import annotations

import json
from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_signer as signer
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from components.delivery_pipeline import DeliveryPipeline
from components.deploy_roles import DeployRoles
from components.drift_reads import deployed_resource_types
from components.encryption_keys import allow_cloudwatch_logs, retained_rotating_key
from components.findings_gate import FindingsGate
from components.log_retention import retention
from components.scanner_skips import ignore_cfn_lint, skip_checkov
from config.model import DeliveryConfig, EnvironmentConfig


class DeliveryStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        delivery: DeliveryConfig,
        environments: Sequence[EnvironmentConfig],
        stages: Sequence[cdk.Stage],
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.key = retained_rotating_key(
            self,
            "DeliveryKey",
            alias="alias/delivery",
            description="delivery: build logs, notifications, the findings gate's queue and environment",
        )
        self._allow_services(self.key)
        self.deploy_roles = DeployRoles(
            self,
            "DeployRoles",
            environments=environments,
            resource_types={
                env.name: deployed_resource_types(stage) for env, stage in zip(environments, stages, strict=True)
            },
            gitlab=delivery.gitlab,
        )
        self.notifications = sns.Topic(
            self, "Notifications", display_name="Delivery pipeline", master_key=self.key, enforce_ssl=True
        )
        self.notifications.add_subscription(subscriptions.EmailSubscription(delivery.notifications_email))
        self.build_logs = logs.LogGroup(
            self,
            "BuildLogs",
            encryption_key=self.key,
            retention=retention(delivery.log_retention_days),
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.signing_profile = signer.SigningProfile(
            self,
            "ImageSigningProfile",
            platform=signer.Platform.NOTATION_OCI_SHA384_ECDSA,
            signature_validity=cdk.Duration.days(365),
        )
        repository = environments[0].repository
        self.gate = FindingsGate(
            self,
            "FindingsGate",
            environments=environments,
            scope_prefix=repository.full_name,
            key=self.key,
            log_retention_days=delivery.log_retention_days,
        )
        self.pipeline = DeliveryPipeline(
            self,
            "Delivery",
            delivery=delivery,
            environments=environments,
            stages=stages,
            gate_function=self.gate.function,
            log_group=self.build_logs,
            notifications=self.notifications,
            signing_profile=self.signing_profile,
        )
        code_pipeline = self.pipeline.pipeline.pipeline
        self.gate.grant_artifacts(
            bucket=code_pipeline.artifact_bucket, key=code_pipeline.artifact_bucket.encryption_key
        )
        self._scanner_exceptions()

    def _scanner_exceptions(self) -> None:
        """checkov and cfn-lint exceptions, each on its own resource with the reason (see acknowledgements.toml)."""
        checkov = {
            "FindingsGate/Function/Resource": [
                ("CKV_AWS_117", "The findings gate calls only AWS APIs; a VPC adds NAT or endpoints, no less exposure.")
            ],
            "Delivery/Pipeline/Pipeline/ArtifactsBucket/Resource": [
                ("CKV_AWS_18", "Transient pipeline artifacts, KMS-encrypted and TLS-only; CloudTrail records access."),
                ("CKV_AWS_21", "Artifacts are reproducible from the commit; versioning would only keep stale copies."),
            ],
            "Delivery/Pipeline/Assets/FileRole/DefaultPolicy/Resource": [
                (
                    "CKV_AWS_111",
                    "CDK Pipelines' asset role: writes only to the bootstrap asset buckets it assumes into.",
                ),
            ],
            "Delivery/Pipeline/PipelinesSecurityCheck/CDKPipelinesAutoApprove/Resource": [
                (
                    "CKV_AWS_115",
                    "aws-cdk-lib's broadening-check helper, invoked a few times per release by CodePipeline.",
                ),
                (
                    "CKV_AWS_116",
                    "aws-cdk-lib's broadening-check helper, invoked synchronously: nothing to dead-letter.",
                ),
                (
                    "CKV_AWS_117",
                    "aws-cdk-lib's broadening-check helper calls only the CodePipeline API; no VPC needed.",
                ),
            ],
            "Delivery/Pipeline/PipelinesSecurityCheck/CDKPipelinesAutoApprove/LogGroup/Resource": [
                ("CKV_AWS_158", "aws-cdk-lib's helper log group: holds only approve/skip decisions, no data."),
            ],
        }
        for path, skips in checkov.items():
            resource = self._child(path)
            for check_id, comment in skips:
                skip_checkov(resource, check_id, comment)
        for construct in self.node.find_all():
            # W3005: aws-cdk-lib adds DependsOn on roles it also references by GetAtt; harmless and not ours to edit.
            if isinstance(construct, (lambda_.CfnFunction, codepipeline.CfnPipeline)):
                ignore_cfn_lint(construct, "W3005")
            # I3510: aws-cdk-lib grants codestar-connections:UseConnection on the connection's ARN, a codeconnections
            # ARN since the service's rename; IAM accepts that prefix for the action.
            if isinstance(construct, iam.CfnPolicy) and "codestar-connections:UseConnection" in json.dumps(
                self.resolve(construct.policy_document)
            ):
                ignore_cfn_lint(construct, "I3510")

    def _child(self, path: str) -> cdk.CfnResource:
        node: Construct = self
        for part in path.split("/"):
            node = node.node.find_child(part)  # type: ignore[assignment]
        if not isinstance(node, cdk.CfnResource):
            raise ValueError(f"{path} in the Delivery stack is not a CloudFormation resource")
        return node

    def _allow_services(self, key: kms.Key) -> None:
        # CloudWatch Logs (this account's log groups only) and CodeStar Notifications (to publish to the
        # encrypted topic) must be able to use the key.
        allow_cloudwatch_logs(key)
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowPipelineNotifications",
                principals=[iam.ServicePrincipal("codestar-notifications.amazonaws.com")],
                actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                resources=["*"],
                conditions={"StringEquals": {"kms:ViaService": f"sns.{self.region}.amazonaws.com"}},
            )
        )
