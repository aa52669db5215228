"""The reference workload on ECS Fargate: cluster, hardened task definition, service, autoscaling."""

from __future__ import annotations

import typing

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from components.log_retention import retention
from components.scanner_skips import ignore_cfn_lint
from config.model import EnvironmentConfig

CONTAINER_NAME = "polls"
# Numeric uid:gid of the image's non-root user (service/Dockerfile), so ECS can verify "not root".
CONTAINER_USER = "10001:10001"
# The only writable path in the container (service/README.md, "Container contract").
SCRATCH_VOLUME = "tmp"
SCRATCH_PATH = "/tmp"  # noqa: S108 - a volume mount point inside the container, not a host temp file
HEALTH_CHECK_COMMAND = ["CMD", "python", "-m", "polls.healthcheck"]
HTTPS_PORT = 443
# Target-tracking set points: average CPU percent, and ALB requests per task per minute.
CPU_TARGET_PERCENT = 60
REQUESTS_PER_TARGET = 1000


class WebService(Construct):
    """Lean: Fargate Spot only, tasks in public subnets with a public IP, reachable only from the
    load balancer's security group. Enterprise: an on-demand Fargate base with Spot above it,
    tasks in private subnets without a public IP.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env: EnvironmentConfig,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        repository: ecr.IRepository,
        repository_uri: str,
        image_tag: str,
        database: rds.IDatabaseInstance,
        database_name: str,
        database_secret: secretsmanager.ISecret,
        database_key: kms.IKey,
        logs_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        svc = env.service
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            encryption_key=logs_key,
            retention=retention(env.log_retention_days),
            removal_policy=cdk.RemovalPolicy.RETAIN if env.is_enterprise else cdk.RemovalPolicy.DESTROY,
        )
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            vpc=vpc,
            container_insights_v2=ecs.ContainerInsights.ENHANCED,
            enable_fargate_capacity_providers=True,
            execute_command_configuration=self._audited_exec(env, logs_key) if svc.enable_ecs_exec else None,
        )
        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "TaskDefinition",
            cpu=svc.cpu,
            memory_limit_mib=svc.memory_mib,
            # The image is built for linux/amd64; a task on another platform cannot pull it.
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.X86_64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
            volumes=[ecs.Volume(name=SCRATCH_VOLUME)],
        )
        # The secret re-imported by ARN alone: granting a secret that carries its key would also write
        # the grant into the key's policy in the Keys stack, a reference back to this stack (a cycle).
        # Decrypt on the key is granted below, on the role's own policy.
        secret = secretsmanager.Secret.from_secret_complete_arn(self, "DatabaseSecret", database_secret.secret_arn)
        container = self.task_definition.add_container(
            "Container",
            container_name=CONTAINER_NAME,
            # The repository's own RepositoryUri attribute: the URI that from_ecr_repository derives by
            # splitting the repository ARN would split a cross-stack reference, which cfn-lint rejects.
            image=ecs.ContainerImage.from_registry(f"{repository_uri}:{image_tag}"),
            essential=True,
            user=CONTAINER_USER,
            readonly_root_filesystem=True,
            privileged=False,
            port_mappings=[ecs.PortMapping(container_port=svc.container_port, protocol=ecs.Protocol.TCP)],
            environment={
                "DB_HOST": database.db_instance_endpoint_address,
                "DB_PORT": database.db_instance_endpoint_port,
                "DB_NAME": database_name,
                "DB_SSLMODE": "require",
                "PORT": str(svc.container_port),
            },
            # Injected by the ECS agent from Secrets Manager at start; never in the task definition.
            secrets={
                "DB_USERNAME": ecs.Secret.from_secrets_manager(secret, "username"),
                "DB_PASSWORD": ecs.Secret.from_secrets_manager(secret, "password"),
            },
            health_check=ecs.HealthCheck(
                command=HEALTH_CHECK_COMMAND,
                interval=cdk.Duration.seconds(30),
                timeout=cdk.Duration.seconds(5),
                retries=3,
                start_period=cdk.Duration.seconds(30),
            ),
            logging=ecs.LogDrivers.aws_logs(stream_prefix=CONTAINER_NAME, log_group=self.log_group),
        )
        container.add_mount_points(
            ecs.MountPoint(container_path=SCRATCH_PATH, source_volume=SCRATCH_VOLUME, read_only=False)
        )
        self.execution_role = self.task_definition.obtain_execution_role()
        repository.grant_pull(self.execution_role)
        # RDS encrypts its managed secret with our data key: reading the secret also needs Decrypt on
        # that key, and only through Secrets Manager (else ResourceInitializationError at task start).
        self.execution_role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="DecryptDatabaseSecret",
                actions=["kms:Decrypt"],
                resources=[database_key.key_arn],
                conditions={
                    "StringEquals": {"kms:ViaService": f"secretsmanager.{cdk.Stack.of(self).region}.amazonaws.com"}
                },
            )
        )
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description=f"{env.name} service tasks: in only from the load balancer",
            allow_all_outbound=False,
        )
        # Out to AWS APIs (ECR, Secrets Manager, CloudWatch Logs) over HTTPS: through the interface
        # endpoints in enterprise, the internet gateway in lean. The database rule is added by the stack.
        self.security_group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(HTTPS_PORT), "HTTPS to AWS APIs")
        public = not env.is_enterprise
        self.service = ecs.FargateService(
            self,
            "Service",
            cluster=self.cluster,
            task_definition=self.task_definition,
            desired_count=svc.desired_count,
            vpc_subnets=subnets,
            # Lean has no NAT gateway: a public IP is the tasks' only way out to the AWS APIs.
            assign_public_ip=public,
            security_groups=[self.security_group],
            platform_version=ecs.FargatePlatformVersion.LATEST,
            capacity_provider_strategies=capacity_provider_strategies(env),
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            # Start a replacement before stopping a task: a Spot interruption never drops below desired.
            min_healthy_percent=100,
            max_healthy_percent=200,
            health_check_grace_period=cdk.Duration.seconds(60),
            enable_execute_command=svc.enable_ecs_exec,
            propagate_tags=ecs.PropagatedTagSource.SERVICE,
        )
        # The CDK makes the service DependsOn its target group's listener beside the Ref to the target
        # group: redundant, not wrong.
        ignore_cfn_lint(typing.cast(cdk.CfnResource, self.service.node.default_child), "W3005")
        self._scaling = self.service.auto_scale_task_count(min_capacity=svc.min_count, max_capacity=svc.max_count)
        self._scaling.scale_on_cpu_utilization("CpuScaling", target_utilization_percent=CPU_TARGET_PERCENT)

    def scale_on_requests(self, target_group: elbv2.ApplicationTargetGroup) -> None:
        self._scaling.scale_on_request_count(
            "RequestScaling", requests_per_target=REQUESTS_PER_TARGET, target_group=target_group
        )

    def _audited_exec(self, env: EnvironmentConfig, logs_key: kms.IKey) -> ecs.ExecuteCommandConfiguration:
        """ECS Exec, where config enables it: sessions encrypted with the logs key, every command logged."""
        exec_log_group = logs.LogGroup(
            self,
            "ExecLogGroup",
            encryption_key=logs_key,
            retention=retention(env.log_retention_days),
            removal_policy=cdk.RemovalPolicy.RETAIN if env.is_enterprise else cdk.RemovalPolicy.DESTROY,
        )
        return ecs.ExecuteCommandConfiguration(
            kms_key=logs_key,
            logging=ecs.ExecuteCommandLogging.OVERRIDE,
            log_configuration=ecs.ExecuteCommandLogConfiguration(
                cloud_watch_log_group=exec_log_group, cloud_watch_encryption_enabled=True
            ),
        )


def capacity_provider_strategies(env: EnvironmentConfig) -> list[ecs.CapacityProviderStrategy]:
    """Lean: Spot only. Enterprise: `on_demand_base` tasks on Fargate, every further task on Spot."""
    spot = ecs.CapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=1)
    if not env.is_enterprise:
        return [spot]
    return [ecs.CapacityProviderStrategy(capacity_provider="FARGATE", base=env.service.on_demand_base, weight=0), spot]
