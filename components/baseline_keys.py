"""The account baseline's KMS keys: one for the audit record, one for security alerts."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from components.encryption_keys import allow_cloudwatch_logs, retained_rotating_key


class BaselineKeys(Construct):
    """`audit` protects CloudTrail logs, AWS Config snapshots and the baseline's log groups;
    `alerts` protects the alerts topic and its dead-letter queue.

    Retained on stack deletion: a deleted audit key would make every trail log it protected unreadable.
    """

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.audit = retained_rotating_key(
            self,
            "AuditKey",
            alias="alias/baseline/audit",
            description="Account baseline: CloudTrail logs, AWS Config snapshots and baseline log groups",
        )
        allow_cloudwatch_logs(self.audit)
        # CloudTrail encrypts only for trails of this account (the encryption context names the trail)
        # and the source-account condition stops another account's trail from using the key.
        trail_arns = stack.format_arn(service="cloudtrail", region="*", resource="trail", resource_name="*")
        self.audit.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudTrailOfThisAccountToEncrypt",
                principals=[iam.ServicePrincipal("cloudtrail.amazonaws.com")],
                actions=["kms:GenerateDataKey*"],
                resources=["*"],
                conditions={
                    "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": trail_arns},
                    "StringEquals": {"aws:SourceAccount": stack.account},
                },
            )
        )
        self.audit.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudTrailOfThisAccountToDescribe",
                principals=[iam.ServicePrincipal("cloudtrail.amazonaws.com")],
                actions=["kms:DescribeKey"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )
        self.alerts = retained_rotating_key(
            self,
            "AlertsKey",
            alias="alias/baseline/alerts",
            description="Account baseline: security alerts topic and its dead-letter queue",
        )
        # SNS moves e-mails it could not deliver to the encrypted dead-letter queue with its own service
        # identity. (EventBridge's statement, for the topic, is added by the rule target itself.)
        self.alerts.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowSnsToDeadLetterUndeliveredAlerts",
                principals=[iam.ServicePrincipal("sns.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
            )
        )
