"""The findings processor as a Lambda: the per-environment gate the pipeline invokes before each deploy.

Same code as the command line in the scan stage (asset `lambda/`, package `findings_processor`, no
bundling: stdlib plus the runtime's boto3). One role with exactly what the handler calls.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from components.log_retention import retention
from config.model import EnvironmentConfig

LAMBDA_SOURCES = Path(__file__).resolve().parent.parent / "lambda"
HANDLER = "findings_processor.handler.handler"
# Gates run one per environment and pipeline execution; more at once means something is looping.
RESERVED_CONCURRENCY = 5


def gate_policies(environments: Sequence[EnvironmentConfig]) -> str:
    """GATE_POLICY for the handler: each environment's policy, keyed by environment name."""
    return json.dumps(
        {
            env.name: {"block_at": env.gate.block_at, "coverage_gaps_block": env.gate.coverage_gaps_block}
            for env in environments
        },
        sort_keys=True,
        separators=(",", ":"),
    )


class FindingsGate(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environments: Sequence[EnvironmentConfig],
        scope_prefix: str,
        key: kms.IKey,
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(14),
        )
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            encryption_key=key,
            retention=retention(log_retention_days),
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="findings processor: read pipeline artifacts, import findings, answer CodePipeline jobs",
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description="Findings processor: per-environment gate over the scan stage's reports",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            handler=HANDLER,
            code=lambda_.Code.from_asset(
                str(LAMBDA_SOURCES), exclude=["**/__pycache__", "**/*.pyc", "**/tests", "**/.mypy_cache"]
            ),
            role=self.role,
            memory_size=1024,  # MiB; reports of 100k findings parse in memory
            timeout=cdk.Duration.minutes(10),
            reserved_concurrent_executions=RESERVED_CONCURRENCY,
            dead_letter_queue=self.dead_letter_queue,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            environment_encryption=key,
            environment={
                "GATE_POLICY": gate_policies(environments),
                "IMPORT_FINDINGS": "true",
                "STRICT": "true",
                "SCOPE": f"{scope_prefix}/gate",
            },
        )
        # The account's default product for custom findings (product/ACCOUNT/default), and its findings.
        product = stack.format_arn(service="securityhub", resource="product", resource_name=f"{stack.account}/default")
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="ImportFindingsIntoTheDefaultProduct",
                actions=["securityhub:BatchImportFindings"],
                resources=[product],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadFindingsOfThisAccount",
                actions=["securityhub:GetFindings"],
                resources=[stack.format_arn(service="securityhub", resource="hub", resource_name="default")],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="AnswerPipelineJobs",
                # CodePipeline job results support no resource-level permissions: resource "*" is the only form.
                actions=["codepipeline:PutJobSuccessResult", "codepipeline:PutJobFailureResult"],
                resources=["*"],
            )
        )
        self.log_group.grant_write(self.role)

    def grant_artifacts(self, *, bucket: s3.IBucket, key: kms.IKey | None) -> None:
        """Read the pipeline's input artifacts and write the gate's output artifact: objects only, no deletes."""
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadAndWritePipelineArtifacts",
                actions=["s3:GetObject", "s3:PutObject"],
                resources=[bucket.arn_for_objects("*")],
            )
        )
        if key is not None:
            self.role.add_to_policy(
                iam.PolicyStatement(
                    sid="UseTheArtifactKey",
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    resources=[key.key_arn],
                )
            )
