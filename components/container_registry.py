"""The environment's private ECR repository for the service image."""

from __future__ import annotations

import typing

import aws_cdk as cdk
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from config.model import EnvironmentConfig, ImageRepositoryAccess, image_repository_name

# What a release step does to its environment's repository (scripts/image-release.sh): push the image's
# layers and manifest, tag it, and push the SBOM and the signature as OCI referrers, manifests with a
# subject that are pushed like any image (listing referrers needs ecr:BatchGetImage) ...
RELEASE_PUSH_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:CompleteLayerUpload",
    "ecr:GetDownloadUrlForLayer",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
)
# ... and what the next environment's release step does to it: copy the image out (`oras cp`).
RELEASE_PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")


class ContainerRegistry(Construct):
    """Immutable tags, scan on push, encrypted with the data key, pruned by a lifecycle policy.

    Pull access is granted by the service tier to its own execution role (the Service stack may
    reference this stack, never the reverse). With `image_access`, the repository's own policy also admits
    the tooling account's release roles, which reach it from another account.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env: EnvironmentConfig,
        data_key: kms.IKey,
        image_repository: str,
        image_access: ImageRepositoryAccess | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.repository = ecr.Repository(
            self,
            "Repository",
            # A predictable name: the delivery pipeline pushes to it before the Service stack deploys.
            repository_name=image_repository_name(env, image_repository),
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
        if image_access is not None:
            self._admit_release_roles(image_access)

    def _admit_release_roles(self, access: ImageRepositoryAccess) -> None:
        """Admit exactly the tooling account's release roles; their own identity policies must allow it too.

        The principal is the tooling account, narrowed by `aws:PrincipalArn` to exact role ARNs, rather than
        the roles themselves: a role principal is bound to the role's unique id when the policy is saved, so
        the policy could not be saved before the Delivery stack has created the roles, and a role recreated
        under its name would silently stop matching. A condition on the ARN has neither problem. The data
        key needs no change: ECR encrypts and decrypts the repository's content through its own grant.
        """
        for sid, actions, roles in (
            ("ReleaseRolesOfTheToolingAccountPush", RELEASE_PUSH_ACTIONS, access.push_roles),
            ("NextReleaseRoleOfTheToolingAccountPulls", RELEASE_PULL_ACTIONS, access.pull_roles),
        ):
            if not roles:
                continue
            self.repository.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=sid,
                    principals=[iam.AccountPrincipal(access.tooling_account)],
                    actions=list(actions),
                    conditions={"StringEquals": {"aws:PrincipalArn": [self._role_arn(access, r) for r in roles]}},
                )
            )

    def _role_arn(self, access: ImageRepositoryAccess, role_name: str) -> str:
        return cdk.Stack.of(self).format_arn(
            service="iam", region="", account=access.tooling_account, resource="role", resource_name=role_name
        )
