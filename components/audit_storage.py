"""The buckets of the account's audit record: CloudTrail logs, AWS Config snapshots, access logs."""

from __future__ import annotations

import typing

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from components.scanner_skips import skip_checkov

# Noncurrent versions are what an overwrite or delete leaves behind; kept long enough to notice.
NONCURRENT_VERSION_DAYS = 90


class AuditStorage(Construct):
    """`trail` and `config` are encrypted with the audit key, versioned, TLS-only, never public,
    expire after the retention period and log their access to `access_logs`.

    The trail bucket is write-once (S3 Object Lock, governance mode) when `trail_object_lock` is set.
    Every bucket is retained when the stack is deleted: it is evidence.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        retention_days: int,
        trail_object_lock: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        lifecycle = [
            s3.LifecycleRule(
                id="ExpireAfterRetention",
                expiration=cdk.Duration.days(retention_days),
                noncurrent_version_expiration=cdk.Duration.days(NONCURRENT_VERSION_DAYS),
                abort_incomplete_multipart_upload_after=cdk.Duration.days(7),
            )
        ]
        # S3 server access logging delivers only to buckets encrypted with S3-managed keys (SSE-S3).
        self.access_logs = s3.Bucket(
            self,
            "AccessLogBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=lifecycle,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        access_log_bucket = typing.cast(s3.CfnBucket, self.access_logs.node.default_child)
        skip_checkov(
            access_log_bucket,
            "CKV_AWS_18",
            "The access-log bucket is the target of server access logging; logging it into itself would loop",
        )

        def audit_bucket(bucket_id: str, log_prefix: str, **object_lock: typing.Any) -> s3.Bucket:
            # Trail and Config buckets differ only in their access-log prefix and the trail's object lock.
            return s3.Bucket(
                self,
                bucket_id,
                encryption=s3.BucketEncryption.KMS,
                encryption_key=key,
                bucket_key_enabled=True,
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                enforce_ssl=True,
                versioned=True,
                object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
                lifecycle_rules=lifecycle,
                server_access_logs_bucket=self.access_logs,
                server_access_logs_prefix=log_prefix,
                removal_policy=cdk.RemovalPolicy.RETAIN,
                **object_lock,
            )

        self.trail = audit_bucket(
            "TrailBucket",
            "trail/",
            object_lock_enabled=trail_object_lock or None,
            object_lock_default_retention=(
                s3.ObjectLockRetention.governance(cdk.Duration.days(retention_days)) if trail_object_lock else None
            ),
        )
        self.config = audit_bucket("ConfigBucket", "config/")
