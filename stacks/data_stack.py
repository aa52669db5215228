"""Stateful: the database and its RDS-managed credentials."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from constructs import Construct

from components.database import Database
from components.network import Network
from config.model import EnvironmentConfig


class DataStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env_config: EnvironmentConfig,
        network: Network,
        data_key: kms.IKey,
        logs_key: kms.IKey,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, termination_protection=env_config.is_enterprise, **kwargs)
        self.database = Database(
            self,
            "Database",
            env=env_config,
            vpc=network.vpc,
            subnets=network.data_subnets,
            data_key=data_key,
            logs_key=logs_key,
        )
        cdk.CfnOutput(self, "DatabaseEndpoint", value=self.database.instance.db_instance_endpoint_address)
        cdk.CfnOutput(self, "DatabaseSecretArn", value=self.database.secret.secret_arn)
