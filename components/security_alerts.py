"""Security alerts: EventBridge rules that route what needs a human to an encrypted SNS topic."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

# Active, untriaged findings only: Security Hub re-emits a finding on every update, and a finding
# someone has already moved out of NEW must not page again.
SECURITY_HUB_PATTERN = events.EventPattern(
    source=["aws.securityhub"],
    detail_type=["Security Hub Findings - Imported"],
    detail={
        "findings": {
            "Severity": {"Label": ["HIGH", "CRITICAL"]},
            "RecordState": ["ACTIVE"],
            "Workflow": {"Status": ["NEW"]},
        }
    },
)
GUARDDUTY_PATTERN = events.EventPattern(source=["aws.guardduty"], detail_type=["GuardDuty Finding"])
# Root signs in through the console, or calls an API with its own credentials (CloudTrail events).
ROOT_USE_PATTERN = events.EventPattern(
    detail_type=["AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail"],
    detail={"userIdentity": {"type": ["Root"]}},
)
# Alerts that could not be delivered wait here for as long as SQS keeps anything (seconds).
DEAD_LETTER_RETENTION = cdk.Duration.days(14)
# A fixed name, so an environment's alarms can address the topic by ARN: environments are stages, and a
# stage cannot reference this app-level stack. Renaming it replaces the topic and orphans those alarms.
ALERTS_TOPIC_NAME = "security-alerts"


class SecurityAlerts(Construct):
    """`topic` is the one place security alerts go; each environment's alarms publish to it too."""

    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey, email: str) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.topic = sns.Topic(
            self,
            "Topic",
            topic_name=ALERTS_TOPIC_NAME,
            display_name="Security alerts",
            master_key=key,
            enforce_ssl=True,
        )
        # The environments' CloudWatch alarms (components/monitoring.py) publish with CloudWatch's service
        # identity; only alarms of this account, which the source conditions pin.
        alarms_of_this_account = {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {
                "aws:SourceArn": stack.format_arn(
                    service="cloudwatch",
                    resource="alarm",
                    resource_name="*",
                    arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                )
            },
        }
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsOfThisAccount",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions=alarms_of_this_account,
            )
        )
        # Publishing to an encrypted topic needs the key too, or the alarm's notification is dropped.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsOfThisAccount",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions=alarms_of_this_account,
            )
        )
        # One dead-letter queue for both hops: EventBridge -> topic, and topic -> e-mail.
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=DEAD_LETTER_RETENTION,
        )
        self.topic.add_subscription(subscriptions.EmailSubscription(email, dead_letter_queue=self.dead_letter_queue))
        target = targets.SnsTopic(self.topic, dead_letter_queue=self.dead_letter_queue)
        self.rules = {
            rule_id: events.Rule(self, rule_id, description=description, event_pattern=pattern, targets=[target])
            for rule_id, description, pattern in (
                (
                    "SecurityHubHighFindings",
                    "Security Hub findings of HIGH or CRITICAL severity",
                    SECURITY_HUB_PATTERN,
                ),
                ("GuardDutyFindings", "GuardDuty findings", GUARDDUTY_PATTERN),
                ("RootAccountUse", "Console sign-in or API call by the root user", ROOT_USE_PATTERN),
            )
        }
