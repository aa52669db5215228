"""The account's CloudTrail: every region, read and write management events, signed digests."""

from __future__ import annotations

import typing

import aws_cdk as cdk
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from components.log_retention import retention
from components.scanner_skips import ignore_cfn_lint


class AuditTrail(Construct):
    """A multi-region trail with log file validation, encrypted with `key`, delivered to `bucket` and
    to an encrypted CloudWatch log group (which the root-use alert and metric filters read)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, bucket: s3.IBucket, key: kms.IKey, retention_days: int
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            encryption_key=key,
            retention=retention(retention_days),
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.trail = cloudtrail.Trail(
            self,
            "Trail",
            bucket=bucket,
            encryption_key=key,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_file_validation=True,
            management_events=cloudtrail.ReadWriteType.ALL,
            send_to_cloud_watch_logs=True,
            cloud_watch_log_group=self.log_group,
        )
        # The Trail construct declares DependsOn its log delivery role beside a GetAtt of it: redundant, not wrong.
        ignore_cfn_lint(typing.cast(cdk.CfnResource, self.trail.node.default_child), "W3005")
