"""Stateless: the VPC, its subnets, flow logs and endpoints."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from constructs import Construct

from components.network import Network
from config.model import EnvironmentConfig


class NetworkStack(cdk.Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, env_config: EnvironmentConfig, logs_key: kms.IKey, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.network = Network(self, "Network", env=env_config, logs_key=logs_key)
        cdk.CfnOutput(self, "VpcId", value=self.network.vpc.vpc_id)
