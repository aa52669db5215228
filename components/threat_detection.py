"""GuardDuty with the protections this platform's workloads need, and IAM Access Analyzer."""

from __future__ import annotations

from aws_cdk import aws_accessanalyzer as accessanalyzer
from aws_cdk import aws_guardduty as guardduty
from constructs import Construct

ENABLED = "ENABLED"
# GuardDuty features for what the platform runs: S3 buckets, RDS PostgreSQL, Lambda, ECS on Fargate.
FEATURES = ("S3_DATA_EVENTS", "RDS_LOGIN_EVENTS", "LAMBDA_NETWORK_LOGS")
RUNTIME_MONITORING = "RUNTIME_MONITORING"
# GuardDuty deploys and updates its security agent as a sidecar of every Fargate task.
FARGATE_AGENT = "ECS_FARGATE_AGENT_MANAGEMENT"


class ThreatDetection(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        Feature = guardduty.CfnDetector.CFNFeatureConfigurationProperty
        self.detector = guardduty.CfnDetector(
            self,
            "Detector",
            enable=True,
            # Alerts within a quarter of an hour, not the default six hours.
            finding_publishing_frequency="FIFTEEN_MINUTES",
            features=[
                *(Feature(name=name, status=ENABLED) for name in FEATURES),
                Feature(
                    name=RUNTIME_MONITORING,
                    status=ENABLED,
                    additional_configuration=[
                        guardduty.CfnDetector.CFNFeatureAdditionalConfigurationProperty(
                            name=FARGATE_AGENT, status=ENABLED
                        )
                    ],
                ),
            ],
        )
        # Reports resources shared outside the account (buckets, keys, roles, secrets, queues).
        self.access_analyzer = accessanalyzer.CfnAnalyzer(self, "AccessAnalyzer", type="ACCOUNT")
