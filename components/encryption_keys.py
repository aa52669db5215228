"""Customer-managed KMS keys, one per purpose, with rotation and a policy CloudWatch Logs can use."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct


class EncryptionKeys(Construct):
    """`data` protects databases, secrets, images and buckets; `logs` protects log groups.

    Keys are retained on stack deletion in every profile: deleting a key makes every snapshot,
    backup and log it protected unreadable.
    """

    def __init__(self, scope: Construct, construct_id: str, *, environment_name: str) -> None:
        super().__init__(scope, construct_id)
        self.data = retained_rotating_key(
            self,
            "DataKey",
            alias=f"alias/{environment_name}/data",
            description=f"{environment_name}: database storage, secrets, container images and buckets",
        )
        self.logs = retained_rotating_key(
            self,
            "LogsKey",
            alias=f"alias/{environment_name}/logs",
            description=f"{environment_name}: CloudWatch log groups",
        )
        allow_cloudwatch_logs(self.logs)


def retained_rotating_key(scope: Construct, key_id: str, *, alias: str, description: str) -> kms.Key:
    """A customer-managed key with yearly rotation, retained on stack deletion (30-day deletion window)."""
    return kms.Key(
        scope,
        key_id,
        alias=alias,
        description=description,
        enable_key_rotation=True,
        removal_policy=cdk.RemovalPolicy.RETAIN,
        pending_window=cdk.Duration.days(30),
    )


def allow_cloudwatch_logs(key: kms.Key) -> None:
    """Lets CloudWatch Logs use `key` for the log groups of its own account and region only."""
    # The encryption-context condition enforces the account and region.
    stack = cdk.Stack.of(key)
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowCloudWatchLogsOfThisAccount",
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            resources=["*"],
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name="*",
                        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                    )
                }
            },
        )
    )
