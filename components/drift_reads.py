"""What CloudFormation reads, with the caller's own permissions, to check each resource type for drift.

Drift detection calls each resource type's read handler as the caller, so the drift role needs that
handler's permissions for every type in its environment's stacks. The authority is the type's
CloudFormation registry schema, `handlers.read.permissions`. The table below was taken from the
schemas cfn-lint 1.58.0 bundles (`cfnlint/data/schemas/resources/`, the same for us-east-1 and
eu-central-1) and reviewed by hand; it is copied here, not read at synth, because synth must not
depend on a development tool. `tests/infra/test_drift_reads.py` compares it with those schemas and
with the resource types of the synthesized environments, so a schema change, a new resource type or
a dead entry fails there.

A schema's read list is taken whole, minus the permissions in `LEFT_OUT`, each with its reason.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from types import MappingProxyType

import aws_cdk as cdk
from constructs import IConstruct

DRIFT_READS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "AWS::ApplicationAutoScaling::ScalableTarget": (
            "application-autoscaling:DescribeScalableTargets",
            "application-autoscaling:DescribeScheduledActions",
            "application-autoscaling:ListTagsForResource",
        ),
        "AWS::ApplicationAutoScaling::ScalingPolicy": ("application-autoscaling:DescribeScalingPolicies",),
        "AWS::Backup::BackupPlan": ("backup:GetBackupPlan", "backup:ListTags"),
        "AWS::Backup::BackupSelection": ("backup:GetBackupSelection",),
        "AWS::Backup::BackupVault": (
            "backup:DescribeBackupVault",
            "backup:GetBackupVaultAccessPolicy",
            "backup:GetBackupVaultNotifications",
            "backup:ListTags",
        ),
        "AWS::CertificateManager::Certificate": ("acm:DescribeCertificate", "acm:ListTagsForCertificate"),
        "AWS::CloudWatch::Alarm": ("cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"),
        "AWS::CloudWatch::Dashboard": ("cloudwatch:GetDashboard", "cloudwatch:ListTagsForResource"),
        "AWS::EC2::EIP": ("ec2:DescribeAddresses",),
        "AWS::EC2::FlowLog": ("ec2:DescribeFlowLogs",),
        "AWS::EC2::InternetGateway": ("ec2:DescribeInternetGateways",),
        "AWS::EC2::NatGateway": ("ec2:DescribeNatGateways",),
        "AWS::EC2::Route": ("ec2:DescribeRouteTables",),
        "AWS::EC2::RouteTable": ("ec2:DescribeRouteTables",),
        "AWS::EC2::SecurityGroup": ("ec2:DescribeSecurityGroups",),
        "AWS::EC2::SecurityGroupEgress": ("ec2:DescribeSecurityGroupRules",),
        "AWS::EC2::SecurityGroupIngress": ("ec2:DescribeSecurityGroupRules", "ec2:DescribeSecurityGroups"),
        "AWS::EC2::Subnet": ("ec2:DescribeNetworkAcls", "ec2:DescribeSubnets"),
        "AWS::EC2::SubnetRouteTableAssociation": ("ec2:DescribeRouteTables",),
        "AWS::EC2::VPC": (
            "ec2:DescribeNetworkAcls",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeVpcAttribute",
            "ec2:DescribeVpcEncryptionControls",
            "ec2:DescribeVpcs",
        ),
        "AWS::EC2::VPCEndpoint": (
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeSubnets",
            "ec2:DescribeVpcEndpoints",
            "ec2:DescribeVpcs",
        ),
        "AWS::EC2::VPCGatewayAttachment": ("ec2:DescribeInternetGateways", "ec2:DescribeVpnGateways"),
        "AWS::ECR::Repository": (
            "ecr:DescribeRepositories",
            "ecr:GetLifecyclePolicy",
            "ecr:GetRepositoryPolicy",
            "ecr:ListTagsForResource",
        ),
        "AWS::ECS::Cluster": ("ecs:DescribeClusters", "kms:DescribeKey"),
        "AWS::ECS::ClusterCapacityProviderAssociations": ("ecs:DescribeClusters",),
        "AWS::ECS::Service": ("ecs:DescribeServices",),
        "AWS::ECS::TaskDefinition": ("ecs:DescribeTaskDefinition",),
        "AWS::ElasticLoadBalancingV2::Listener": (
            "elasticloadbalancing:DescribeListenerAttributes",
            "elasticloadbalancing:DescribeListeners",
            "elasticloadbalancing:DescribeTags",
        ),
        "AWS::ElasticLoadBalancingV2::LoadBalancer": (
            "elasticloadbalancing:DescribeCapacityReservation",
            "elasticloadbalancing:DescribeLoadBalancerAttributes",
            "elasticloadbalancing:DescribeLoadBalancers",
            "elasticloadbalancing:DescribeTags",
        ),
        "AWS::ElasticLoadBalancingV2::TargetGroup": (
            "elasticloadbalancing:DescribeTags",
            "elasticloadbalancing:DescribeTargetGroupAttributes",
            "elasticloadbalancing:DescribeTargetGroups",
            "elasticloadbalancing:DescribeTargetHealth",
        ),
        "AWS::Events::Rule": ("events:DescribeRule", "events:ListTagsForResource", "events:ListTargetsByRule"),
        "AWS::IAM::Role": (
            "iam:GetRole",
            "iam:GetRolePolicy",
            "iam:ListAttachedRolePolicies",
            "iam:ListRolePolicies",
        ),
        "AWS::KMS::Alias": ("kms:ListAliases",),
        "AWS::KMS::Key": ("kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"),
        # lambda:GetFunction also returns a short-lived link to the code: the environment's one function is
        # aws-cdk-lib's published default-security-group handler, and the read handler cannot do without it.
        "AWS::Lambda::Function": (
            "lambda:GetFunction",
            "lambda:GetFunctionCodeSigningConfig",
            "lambda:GetFunctionRecursionConfig",
            "lambda:GetFunctionScalingConfig",
            "lambda:GetRuntimeManagementConfig",
        ),
        "AWS::Logs::LogGroup": (
            "logs:DescribeIndexPolicies",
            "logs:DescribeLogGroups",
            "logs:DescribeResourcePolicies",
            "logs:GetDataProtectionPolicy",
            "logs:ListTagsForResource",
        ),
        "AWS::RDS::DBInstance": (
            "ec2:DescribeAccountAttributes",
            "ec2:DescribeAvailabilityZones",
            "ec2:DescribeInternetGateways",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeSubnets",
            "ec2:DescribeVpcAttribute",
            "ec2:DescribeVpcs",
            "rds:DescribeDBInstances",
        ),
        "AWS::RDS::DBParameterGroup": (
            "rds:DescribeDBParameterGroups",
            "rds:DescribeDBParameters",
            "rds:ListTagsForResource",
        ),
        "AWS::RDS::DBSubnetGroup": ("rds:DescribeDBSubnetGroups", "rds:ListTagsForResource"),
        "AWS::Route53::RecordSet": (
            "route53:GetHostedZone",
            "route53:ListHostedZones",
            "route53:ListResourceRecordSets",
        ),
        # s3:ListBucket is what HeadBucket needs (the handler's existence check); it lists object keys, never
        # object contents: no s3:GetObject here.
        "AWS::S3::Bucket": (
            "s3:GetAccelerateConfiguration",
            "s3:GetAnalyticsConfiguration",
            "s3:GetBucketAbac",
            "s3:GetBucketCORS",
            "s3:GetBucketLogging",
            "s3:GetBucketMetadataTableConfiguration",
            "s3:GetBucketNotification",
            "s3:GetBucketObjectLockConfiguration",
            "s3:GetBucketOwnershipControls",
            "s3:GetBucketPublicAccessBlock",
            "s3:GetBucketTagging",
            "s3:GetBucketVersioning",
            "s3:GetBucketWebsite",
            "s3:GetEncryptionConfiguration",
            "s3:GetIntelligentTieringConfiguration",
            "s3:GetInventoryConfiguration",
            "s3:GetLifecycleConfiguration",
            "s3:GetMetricsConfiguration",
            "s3:GetReplicationConfiguration",
            "s3:ListBucket",
            "s3:ListTagsForResource",
        ),
        "AWS::S3::BucketPolicy": ("s3:GetBucketPolicy",),
        "AWS::WAFv2::LoggingConfiguration": ("wafv2:GetLoggingConfiguration",),
        "AWS::WAFv2::WebACL": ("wafv2:GetWebACL", "wafv2:ListTagsForResource"),
        "AWS::WAFv2::WebACLAssociation": (
            "elasticloadbalancing:GetLoadBalancerWebACL",
            "wafv2:GetWebACL",
            "wafv2:GetWebACLForResource",
        ),
    }
)

_NOT_A_READ = (
    "not a read: the schema lists the association's create and delete permissions under read as well; "
    "a read-only role never associates or disassociates a web ACL"
)
_OTHER_TARGET = (
    "reads the web ACL of a kind of resource the platform never protects: its one association is with the "
    "environment's Application Load Balancer (components/web_firewall.py)"
)

# Permissions a schema lists for its read handler that the drift role must not hold, with the reason.
LEFT_OUT: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "AWS::EC2::VPCEndpoint": {
            "vpc-lattice:DescribeServiceNetworkVpcEndpointAssociation": "not an IAM action: VPC Lattice has no "
            "Describe actions (IAM's service reference as cfn-lint ships it), so it could grant nothing; the "
            "platform's endpoints are interface and gateway endpoints, never service-network ones",
        },
        "AWS::Events::Rule": {
            "iam:PassRole": "not a read: it lets the caller hand a role to a service; describing a rule and its "
            "targets needs none (the schema lists it under every handler)",
        },
        "AWS::Lambda::Function": {
            "kms:Decrypt": "decrypts environment variables under a customer managed key: a read-only role decrypts "
            "nothing, and the environment's one function (aws-cdk-lib's default-security-group handler) has no "
            "such variables",
        },
        "AWS::WAFv2::WebACLAssociation": {
            **dict.fromkeys(
                (
                    "apigateway:SetWebACL",
                    "apprunner:AssociateWebAcl",
                    "apprunner:DisassociateWebAcl",
                    "appsync:AssociateWebACL",
                    "appsync:DisassociateWebACL",
                    "appsync:SetWebACL",
                    "bedrock-agentcore:GatewayAssociateWebACL",
                    "bedrock-agentcore:GatewayDisassociateWebACL",
                    "cognito-idp:AssociateWebACL",
                    "cognito-idp:DisassociateWebACL",
                    "ec2:AssociateVerifiedAccessInstanceWebAcl",
                    "ec2:DisassociateVerifiedAccessInstanceWebAcl",
                    "elasticloadbalancing:CreateWebACLAssociation",
                    "elasticloadbalancing:DeleteWebACLAssociation",
                    "elasticloadbalancing:SetWebACL",
                    "wafv2:AssociateWebACL",
                    "wafv2:DisassociateWebACL",
                ),
                _NOT_A_READ,
            ),
            **dict.fromkeys(
                (
                    "amplify:GetWebACLForResource",
                    "apprunner:DescribeWebAclForService",
                    "appsync:GetWebACLForResource",
                    "bedrock-agentcore:GatewayGetWebACLForResource",
                    "cognito-idp:GetWebACLForResource",
                    "ec2:DescribeVerifiedAccessInstanceWebAclAssociations",
                    "ec2:GetVerifiedAccessInstanceWebAcl",
                ),
                _OTHER_TARGET,
            ),
        },
    }
)

# Types CloudFormation does not check for drift: their schemas have no read handler, so there is nothing
# to grant. Any `Custom::<Name>` type is an AWS::CloudFormation::CustomResource.
NOT_CHECKED: Mapping[str, str] = MappingProxyType(
    {
        "AWS::CDK::Metadata": "aws-cdk-lib's version-reporting resource (off in this app) holds no state to drift",
        "AWS::CloudFormation::CustomResource": "a custom resource has no read handler: CloudFormation cannot read it",
        "AWS::IAM::Policy": "its schema states it does not support drift detection (AWS::IAM::RolePolicy does)",
    }
)
CUSTOM_RESOURCE_PREFIX = "Custom::"


def is_checked_for_drift(resource_type: str) -> bool:
    return not resource_type.startswith(CUSTOM_RESOURCE_PREFIX) and resource_type not in NOT_CHECKED


def drift_reads(resource_types: Iterable[str]) -> tuple[str, ...]:
    """The read actions, sorted, that drift detection needs for resources of `resource_types`."""
    checked = sorted({t for t in resource_types if is_checked_for_drift(t)})
    unknown = [t for t in checked if t not in DRIFT_READS]
    if unknown:
        raise ValueError(
            f"no drift reads known for {', '.join(unknown)}: add each type's registry-schema read permissions "
            "(handlers.read.permissions) to DRIFT_READS in components/drift_reads.py"
        )
    return tuple(sorted({action for resource_type in checked for action in DRIFT_READS[resource_type]}))


def deployed_resource_types(scope: IConstruct) -> frozenset[str]:
    """The CloudFormation resource types of every resource under `scope` (e.g. an environment's stage).

    An L1 class names its type as a class constant, read once per class; only a generic `CfnResource`
    (custom resources) is asked for its own. Asking every resource costs a jsii round trip each.
    """
    types: set[str] = set()
    for construct in scope.node.find_all():
        if isinstance(construct, cdk.CfnResource):
            class_type = _class_resource_type(type(construct))
            types.add(class_type if class_type is not None else construct.cfn_resource_type)
    return frozenset(types)


@functools.cache
def _class_resource_type(cls: type) -> str | None:
    # Reading the constant is itself a round trip, and so is asking whether the class has one.
    return getattr(cls, "CFN_RESOURCE_TYPE_NAME", None)
