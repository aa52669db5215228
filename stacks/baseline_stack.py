"""The account security baseline: deployed once per AWS account, beside the account's environments."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from constructs import Construct

from components.audit_storage import AuditStorage
from components.audit_trail import AuditTrail
from components.baseline_keys import BaselineKeys
from components.ci_identity_providers import CiIdentityProviders
from components.config_recorder import ConfigRecorder
from components.inspector import VulnerabilityScanning
from components.security_alerts import SecurityAlerts
from components.security_hub import SecurityHub
from components.threat_detection import ThreatDetection
from config.baselines import BaselineConfig


class BaselineStack(cdk.Stack):
    """Security Hub, GuardDuty, AWS Config, CloudTrail, Inspector, Access Analyzer, the CI identity
    providers and security alerts for one account. Stateful (the audit record): termination protection."""

    def __init__(self, scope: Construct, *, baseline: BaselineConfig, **kwargs: Any) -> None:
        super().__init__(
            scope,
            baseline.stack_id,
            env=cdk.Environment(account=baseline.account, region=baseline.region),
            termination_protection=True,
            description=f"Account security baseline of {baseline.account_label}",
            **kwargs,
        )
        self.baseline = baseline
        settings = baseline.settings
        keys = BaselineKeys(self, "Keys")
        storage = AuditStorage(
            self,
            "AuditStorage",
            key=keys.audit,
            retention_days=settings.trail_retention_days,
            trail_object_lock=settings.trail_object_lock,
        )
        self.trail = AuditTrail(
            self, "AuditTrail", bucket=storage.trail, key=keys.audit, retention_days=settings.trail_retention_days
        )
        self.config_recorder = ConfigRecorder(self, "Config", bucket=storage.config, key=keys.audit)
        self.security_hub = SecurityHub(self, "SecurityHub", environments=baseline.environments)
        self.threat_detection = ThreatDetection(self, "ThreatDetection")
        VulnerabilityScanning(self, "Inspector", logs_key=keys.audit, log_retention_days=settings.trail_retention_days)
        providers = CiIdentityProviders(
            self, "CiIdentity", gitlab_url=settings.gitlab_url if settings.gitlab_project is not None else None
        )
        alerts = SecurityAlerts(self, "Alerts", key=keys.alerts, email=settings.alerts_email)

        # What other tiers build on: deploy roles trust the providers, alarms publish to the topic.
        self.alerts_topic: sns.ITopic = alerts.topic
        self.github_oidc_provider: iam.IOidcProvider = providers.github
        self.gitlab_oidc_provider: iam.IOidcProvider | None = providers.gitlab

        cdk.CfnOutput(self, "SecurityHubProductArn", value=self.security_hub.product_arn)
        cdk.CfnOutput(self, "AlertsTopicArn", value=alerts.topic.topic_arn)
        cdk.CfnOutput(self, "TrailArn", value=self.trail.trail.trail_arn)
        cdk.CfnOutput(self, "GitHubOidcProviderArn", value=providers.github.oidc_provider_arn)
        if providers.gitlab is not None:
            cdk.CfnOutput(self, "GitLabOidcProviderArn", value=providers.gitlab.oidc_provider_arn)
