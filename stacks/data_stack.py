"""Stateful: the database and its RDS-managed credentials, the image repository, the ALB's log bucket."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from constructs import Construct

from components.container_registry import ContainerRegistry
from components.database import Database
from components.load_balancer_logs import LoadBalancerLogs
from components.network import Network
from components.web_firewall import WebFirewallLogGroup
from config.model import EnvironmentConfig, ImageRepositoryAccess


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
        image_repository: str,
        image_access: ImageRepositoryAccess | None,
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
        self.registry = ContainerRegistry(
            self,
            "ContainerRegistry",
            env=env_config,
            data_key=data_key,
            image_repository=image_repository,
            image_access=image_access,
        )
        self.load_balancer_logs = LoadBalancerLogs(self, "LoadBalancerLogs", env=env_config)
        self.web_firewall_logs = (
            WebFirewallLogGroup(self, "WebFirewallLogs", env=env_config, logs_key=logs_key)
            if env_config.service.waf_enabled
            else None
        )
        cdk.CfnOutput(self, "DatabaseEndpoint", value=self.database.instance.db_instance_endpoint_address)
        cdk.CfnOutput(self, "DatabaseSecretArn", value=self.database.secret.secret_arn)
        cdk.CfnOutput(self, "RepositoryUri", value=self.registry.repository.repository_uri)
