"""Inspector v2 scanning of ECR images and Lambda functions, switched on through its API.

CloudFormation has no resource that enables Inspector for an account, so a custom resource calls
`inspector2:Enable` on create (and update) and `inspector2:Disable` on delete, with a role that may
do exactly that and write its own log group.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr
from constructs import Construct

from components.log_retention import retention
from components.scanner_skips import ignore_cfn_lint, skip_checkov

RESOURCE_TYPES = ["ECR", "LAMBDA"]
# The function aws-cdk-lib creates for every AwsCustomResource of a stack (one per stack).
AWS_CUSTOM_RESOURCE_PROVIDER = "AWS679f53fac002430cb0da5b7982bd2287"
INSPECTOR_SERVICE = "inspector2.amazonaws.com"


class VulnerabilityScanning(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, logs_key: kms.IKey, log_retention_days: int) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.log_group = logs.LogGroup(
            self,
            "EnablerLogGroup",
            encryption_key=logs_key,
            retention=retention(log_retention_days),
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.role = iam.Role(
            self,
            "EnablerRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Enables and disables Inspector v2 scanning of ECR and Lambda for this account",
        )
        iam.ManagedPolicy(
            self,
            "EnablerPolicy",
            roles=[self.role],
            statements=[
                # Enable and Disable act on the calling account and support no resource-level permissions.
                iam.PolicyStatement(actions=["inspector2:Enable", "inspector2:Disable"], resources=["*"]),
                # The first Enable creates Inspector's service-linked role; only that role, for that service.
                iam.PolicyStatement(
                    actions=["iam:CreateServiceLinkedRole"],
                    resources=[
                        stack.format_arn(
                            service="iam",
                            region="",
                            resource="role",
                            resource_name=f"aws-service-role/{INSPECTOR_SERVICE}/AWSServiceRoleForAmazonInspector2",
                        )
                    ],
                    conditions={"StringEquals": {"iam:AWSServiceName": INSPECTOR_SERVICE}},
                ),
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[self.log_group.log_group_arn]
                ),
            ],
        )
        call = cr.AwsSdkCall(
            service="Inspector2",
            action="enable",
            parameters={"resourceTypes": RESOURCE_TYPES},
            physical_resource_id=cr.PhysicalResourceId.of("inspector2-ecr-lambda"),
        )
        self.enabler = cr.AwsCustomResource(
            self,
            "Enabler",
            on_create=call,
            on_update=call,
            on_delete=cr.AwsSdkCall(
                service="Inspector2", action="disable", parameters={"resourceTypes": RESOURCE_TYPES}
            ),
            role=self.role,
            log_group=self.log_group,
            # The SDK bundled with the Lambda runtime: no download from npm at deploy time.
            install_latest_aws_sdk=False,
            timeout=cdk.Duration.minutes(2),
            memory_size=256,  # MiB
        )
        self._excuse_provider_function(stack)

    @staticmethod
    def _excuse_provider_function(stack: cdk.Stack) -> None:
        provider = stack.node.try_find_child(AWS_CUSTOM_RESOURCE_PROVIDER)
        handler = provider.node.default_child if provider is not None else None
        if not isinstance(handler, cdk.CfnResource):
            raise RuntimeError("the AwsCustomResource provider function is missing; aws-cdk-lib changed")
        reason = "CDK-owned AwsCustomResource function, called by CloudFormation only on stack changes"
        skip_checkov(handler, "CKV_AWS_115", f"{reason}: no concurrency to reserve for a call per deployment")
        skip_checkov(handler, "CKV_AWS_116", f"{reason}: CloudFormation retries and reports its failures")
        skip_checkov(handler, "CKV_AWS_117", f"{reason}: calls only the public Inspector API, needs no VPC access")
        # The provider declares DependsOn its role beside a GetAtt of it: redundant, not wrong.
        ignore_cfn_lint(handler, "W3005")
