"""A regional WAFv2 web ACL for the load balancer: AWS managed rule groups and a rate limit."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from components.log_retention import retention
from config.model import EnvironmentConfig

MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
)
# Requests per client IP in any 5-minute window before WAF blocks that IP.
RATE_LIMIT_PER_IP = 2000


class WebFirewallLogGroup(Construct):
    """Where WAF writes its request logs; stateful, so it lives in the Data stack.

    WAF delivers to CloudWatch Logs only into log groups named `aws-waf-logs-...`: a fixed name,
    which a retained log group in a stack that is rebuilt would block on its next creation.
    """

    def __init__(self, scope: Construct, construct_id: str, *, env: EnvironmentConfig, logs_key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            log_group_name=f"aws-waf-logs-{env.name}",
            encryption_key=logs_key,
            retention=retention(env.log_retention_days),
            removal_policy=cdk.RemovalPolicy.RETAIN if env.is_enterprise else cdk.RemovalPolicy.DESTROY,
        )


class WebFirewall(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env: EnvironmentConfig,
        load_balancer_arn: str,
        log_group: logs.ILogGroup,
    ) -> None:
        super().__init__(scope, construct_id)
        rules = [
            wafv2.CfnWebACL.RuleProperty(
                name=group,
                priority=priority,
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=group
                    )
                ),
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                visibility_config=_visibility(group),
            )
            for priority, group in enumerate(MANAGED_RULE_GROUPS)
        ]
        rules.append(
            wafv2.CfnWebACL.RuleProperty(
                name="RateLimitPerIp",
                priority=len(MANAGED_RULE_GROUPS),
                statement=wafv2.CfnWebACL.StatementProperty(
                    rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                        limit=RATE_LIMIT_PER_IP, aggregate_key_type="IP"
                    )
                ),
                action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                visibility_config=_visibility("RateLimitPerIp"),
            )
        )
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            description=f"{env.name}: managed rule groups and a per-IP rate limit in front of the service",
            rules=rules,
            visibility_config=_visibility("WebAcl"),
        )
        wafv2.CfnWebACLAssociation(
            self, "Association", resource_arn=load_balancer_arn, web_acl_arn=self.web_acl.attr_arn
        )
        # WAF wants the log group's ARN without the `:*` suffix that LogGroup.log_group_arn carries.
        log_group_arn = cdk.Stack.of(self).format_arn(
            service="logs",
            resource="log-group",
            resource_name=log_group.log_group_name,
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        )
        wafv2.CfnLoggingConfiguration(
            self, "Logging", resource_arn=self.web_acl.attr_arn, log_destination_configs=[log_group_arn]
        )


def _visibility(metric_name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True
    )
