"""The environment's private ECR repository for the service image."""

from __future__ import annotations

import typing

import aws_cdk as cdk
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_kms as kms
from constructs import Construct

from config.model import EnvironmentConfig


class ContainerRegistry(Construct):
    """Immutable tags, scan on push, encrypted with the data key, pruned by a lifecycle policy.

    Pull access is granted by the service tier to its own execution role (the Service stack may
    reference this stack, never the reverse).
    """

    def __init__(self, scope: Construct, construct_id: str, *, env: EnvironmentConfig, data_key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.repository = ecr.Repository(
            self,
            "Repository",
            # A predictable name: the delivery pipeline pushes to it before the Service stack deploys.
            repository_name=f"{env.name}/polls",
            # A tag names one build forever, so a deployment and its rollback run exactly what was scanned.
            image_tag_mutability=ecr.TagMutability.IMMUTABLE,
            image_scan_on_push=True,
            encryption=ecr.RepositoryEncryption.KMS,
            encryption_key=data_key,
            # Images are release evidence: a stack deletion must not take them with it.
            removal_policy=cdk.RemovalPolicy.RETAIN,
            lifecycle_rules=[
                ecr.LifecycleRule(
                    rule_priority=1,
                    description="Untagged images (superseded build layers) expire after one day",
                    tag_status=ecr.TagStatus.UNTAGGED,
                    max_image_age=cdk.Duration.days(1),
                ),
                ecr.LifecycleRule(
                    rule_priority=2,
                    description=f"Keep the last {env.service.ecr_release_images_kept} release images",
                    tag_status=ecr.TagStatus.TAGGED,
                    tag_pattern_list=["*"],
                    max_image_count=env.service.ecr_release_images_kept,
                ),
            ],
        )
        # The RepositoryUri attribute as one token, for consumers in other stacks.
        self.repository_uri = typing.cast(ecr.CfnRepository, self.repository.node.default_child).attr_repository_uri
