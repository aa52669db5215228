"""Stateful: the environment's KMS keys, which outlive every other resource that uses them."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import Construct

from components.encryption_keys import EncryptionKeys
from config.model import EnvironmentConfig


class KeysStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, env_config: EnvironmentConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, termination_protection=env_config.is_enterprise, **kwargs)
        self.keys = EncryptionKeys(self, "EncryptionKeys", environment_name=env_config.name)
        cdk.CfnOutput(self, "DataKeyArn", value=self.keys.data.key_arn)
        cdk.CfnOutput(self, "LogsKeyArn", value=self.keys.logs.key_arn)
