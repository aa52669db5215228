"""Stateless: the ECS cluster and service, the load balancer in front of it, its WAF, and their monitoring."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from constructs import Construct

from components.database import POSTGRES_PORT
from components.load_balancer import LoadBalancer
from components.monitoring import Monitoring
from components.network import Network
from components.web_firewall import WebFirewall
from components.web_service import WebService
from config.model import EnvironmentConfig
from stacks.data_stack import DataStack


class ServiceStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env_config: EnvironmentConfig,
        network: Network,
        data: DataStack,
        logs_key: kms.IKey,
        image_tag: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        database = data.database
        self.load_balancer = LoadBalancer(
            self,
            "LoadBalancer",
            env=env_config,
            vpc=network.vpc,
            subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            access_logs_bucket=data.load_balancer_logs.bucket,
            access_logs_prefix=data.load_balancer_logs.prefix,
        )
        self.web_service = WebService(
            self,
            "WebService",
            env=env_config,
            vpc=network.vpc,
            subnets=network.service_subnets,
            repository=data.registry.repository,
            repository_uri=data.registry.repository_uri,
            image_tag=image_tag,
            database=database.instance,
            database_name=env_config.database.database_name,
            database_secret=database.secret,
            database_key=database.data_key,
            logs_key=logs_key,
        )
        # ALB → tasks on the container port (ingress on the task SG, egress on the ALB SG).
        target_group = self.load_balancer.forward_to(
            self.web_service.service,
            container_port=env_config.service.container_port,
            health_check_path=env_config.service.health_check_path,
        )
        self.web_service.scale_on_requests(target_group)
        # Tasks → database. allow_to writes the database's ingress rule as a resource of this stack,
        # so the Data stack never refers to the Service stack.
        self.web_service.security_group.connections.allow_to(
            database.security_group, ec2.Port.tcp(POSTGRES_PORT), "PostgreSQL from the service tasks"
        )
        if data.web_firewall_logs is not None:
            WebFirewall(
                self,
                "WebFirewall",
                env=env_config,
                load_balancer_arn=self.load_balancer.alb.load_balancer_arn,
                log_group=data.web_firewall_logs.log_group,
            )
        # Here rather than in a stack of its own: it watches this stack's resources, and a separate stack
        # would need exports of the load balancer, target group and service that pin their replacement.
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            env=env_config,
            load_balancer=self.load_balancer.alb,
            target_group=target_group,
            service=self.web_service.service,
            database=database.instance,
        )
        cdk.CfnOutput(self, "LoadBalancerDnsName", value=self.load_balancer.alb.load_balancer_dns_name)
