"""The bucket the load balancer writes its access logs to."""

from __future__ import annotations

import typing

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.region_info import RegionInfo
from constructs import Construct

from components.scanner_skips import skip_checkov
from config.model import EnvironmentConfig

ACCESS_LOGS_PREFIX = "alb"


class LoadBalancerLogs(Construct):
    """Versioned, TLS-only, private, expiring after the environment's log retention.

    Encrypted with S3-managed keys: Elastic Load Balancing delivers access logs only to buckets
    encrypted with SSE-S3, never SSE-KMS.
    """

    def __init__(self, scope: Construct, construct_id: str, *, env: EnvironmentConfig) -> None:
        super().__init__(scope, construct_id)
        retention = cdk.Duration.days(env.log_retention_days)
        self.prefix = ACCESS_LOGS_PREFIX
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireAfterLogRetention",
                    expiration=retention,
                    noncurrent_version_expiration=cdk.Duration.days(1),
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
                )
            ],
            # Evidence outlives the stack in every profile; the lifecycle rule empties it in time.
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        skip_checkov(
            typing.cast(cdk.CfnResource, self.bucket.node.default_child),
            "CKV_AWS_18",
            "this bucket is the access-log destination itself; acknowledged in compliance/acknowledgements.toml",
        )
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowLoadBalancerLogDelivery",
                principals=[_log_delivery_principal(env.region)],
                actions=["s3:PutObject"],
                resources=[self.bucket.arn_for_objects(f"{self.prefix}/AWSLogs/{cdk.Aws.ACCOUNT_ID}/*")],
            )
        )


def _log_delivery_principal(region: str) -> iam.IPrincipal:
    # Regions opened before August 2022 deliver from a regional Elastic Load Balancing account;
    # newer ones through the log-delivery service principal.
    account = RegionInfo.get(region).elbv2_account
    if account is not None:
        return iam.AccountPrincipal(account)
    return iam.ServicePrincipal("logdelivery.elasticloadbalancing.amazonaws.com")
