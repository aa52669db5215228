"""AWS Config: the recorder, its delivery channel and the managed rules for the controls we claim."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_config as config
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

# Environment stacks carry these tags (stacks/environment_stage.py); rules that hold only for the
# enterprise profile are scoped to resources tagged with it, so lean trade-offs do not read as drift.
PROFILE_TAG = "profile"
ENTERPRISE = "enterprise"

# Managed rules (construct id -> identifier), grouped by the control they verify.
RULES: dict[str, str] = {
    # Encryption at rest
    "RdsStorageEncrypted": config.ManagedRuleIdentifiers.RDS_STORAGE_ENCRYPTED,
    "S3ServerSideEncryption": config.ManagedRuleIdentifiers.S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED,
    "LogGroupEncrypted": config.ManagedRuleIdentifiers.CLOUDWATCH_LOG_GROUP_ENCRYPTED,
    # Public access
    "S3PublicReadProhibited": config.ManagedRuleIdentifiers.S3_BUCKET_PUBLIC_READ_PROHIBITED,
    "RdsPublicAccess": config.ManagedRuleIdentifiers.RDS_INSTANCE_PUBLIC_ACCESS_CHECK,
    # Key and secret rotation
    "KmsKeyRotation": config.ManagedRuleIdentifiers.CMK_BACKING_KEY_ROTATION_ENABLED,
    "SecretRotation": config.ManagedRuleIdentifiers.SECRETSMANAGER_ROTATION_ENABLED_CHECK,
    # Network visibility
    "VpcFlowLogs": config.ManagedRuleIdentifiers.VPC_FLOW_LOGS_ENABLED,
    # Containers run with a read-only root filesystem
    "EcsReadOnlyRootFilesystem": config.ManagedRuleIdentifiers.ECS_CONTAINERS_READONLY_ACCESS,
    # The audit record itself
    "CloudTrailEnabled": config.ManagedRuleIdentifiers.CLOUD_TRAIL_ENABLED,
    "CloudTrailLogFileValidation": config.ManagedRuleIdentifiers.CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED,
    "CloudTrailEncryption": config.ManagedRuleIdentifiers.CLOUD_TRAIL_ENCRYPTION_ENABLED,
    "CloudTrailCloudWatchLogs": config.ManagedRuleIdentifiers.CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED,
    "GuardDutyEnabled": config.ManagedRuleIdentifiers.GUARDDUTY_ENABLED_CENTRALIZED,
    "SecurityHubEnabled": config.ManagedRuleIdentifiers.SECURITYHUB_ENABLED,
}
# Controls only the enterprise profile claims: deletion protection and ALB access logs.
ENTERPRISE_RULES: dict[str, str] = {
    "RdsDeletionProtection": config.ManagedRuleIdentifiers.RDS_INSTANCE_DELETION_PROTECTION_ENABLED,
    "AlbLogging": config.ManagedRuleIdentifiers.ELB_LOGGING_ENABLED,
}


class ConfigRecorder(Construct):
    """Records every supported resource type, global ones included, and delivers snapshots to
    `bucket` encrypted with `key`; the managed rules evaluate what it records."""

    def __init__(self, scope: Construct, construct_id: str, *, bucket: s3.IBucket, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("config.amazonaws.com"),
            description="AWS Config: read resource configurations, deliver snapshots to the audit bucket",
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWS_ConfigRole")],
        )
        # With a role of its own (not the service-linked one), Config delivers through the role's
        # permissions: exactly its prefix of the bucket, and the key that encrypts it.
        iam.ManagedPolicy(
            self,
            "DeliveryPolicy",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    actions=["s3:PutObject"],
                    # The account as a pseudo-parameter, literal or not: one acknowledgement fits every baseline.
                    resources=[bucket.arn_for_objects(f"AWSLogs/{cdk.Aws.ACCOUNT_ID}/Config/*")],
                    conditions={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
                ),
                iam.PolicyStatement(actions=["s3:GetBucketAcl"], resources=[bucket.bucket_arn]),
                iam.PolicyStatement(actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[key.key_arn]),
            ],
        )
        self.recorder = config.CfnConfigurationRecorder(
            self,
            "Recorder",
            role_arn=self.role.role_arn,
            recording_group=config.CfnConfigurationRecorder.RecordingGroupProperty(
                all_supported=True, include_global_resource_types=True
            ),
        )
        self.delivery_channel = config.CfnDeliveryChannel(
            self,
            "DeliveryChannel",
            s3_bucket_name=bucket.bucket_name,
            s3_kms_key_arn=key.key_arn,
            config_snapshot_delivery_properties=config.CfnDeliveryChannel.ConfigSnapshotDeliveryPropertiesProperty(
                delivery_frequency="TwentyFour_Hours"
            ),
        )
        self.delivery_channel.add_resource_dependency(self.recorder)
        self.rules: list[config.ManagedRule] = []
        for rule_id, identifier in RULES.items():
            self._add_rule(rule_id, identifier, None)
        for rule_id, identifier in ENTERPRISE_RULES.items():
            self._add_rule(rule_id, identifier, config.RuleScope.from_tag(key=PROFILE_TAG, value=ENTERPRISE))

    def _add_rule(self, rule_id: str, identifier: str, rule_scope: config.RuleScope | None) -> None:
        rule = config.ManagedRule(self, rule_id, identifier=identifier, rule_scope=rule_scope)
        # A rule evaluates only what the recorder records: created before it, they report nothing.
        rule.node.add_dependency(self.recorder)
        self.rules.append(rule)
