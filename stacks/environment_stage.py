"""One environment: its stacks, split by lifetime (stateful keys and data apart from the rest)."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from config.model import EnvironmentConfig, ImageRepositoryAccess
from stacks.data_stack import DataStack
from stacks.keys_stack import KeysStack
from stacks.network_stack import NetworkStack
from stacks.service_stack import ServiceStack


class EnvironmentStage(cdk.Stage):
    """`image_repository`: the repository's name within the environment (`<env>/<image_repository>`).
    `image_access`: the tooling account's roles the image repository admits, when the pipeline reaches
    this environment from another account (config/image_access.py); None within one account."""

    def __init__(
        self,
        scope: Construct,
        *,
        env_config: EnvironmentConfig,
        image_tag: str,
        image_repository: str,
        image_access: ImageRepositoryAccess | None,
    ) -> None:
        super().__init__(scope, env_config.stage_id, env=deployment_environment(env_config))
        self.env_config = env_config
        self.keys = KeysStack(self, "Keys", env_config=env_config, description=f"{env_config.name}: KMS keys")
        self.network = NetworkStack(
            self,
            "Network",
            env_config=env_config,
            logs_key=self.keys.keys.logs,
            description=f"{env_config.name}: VPC, subnets, flow logs, endpoints",
        )
        self.data = DataStack(
            self,
            "Data",
            env_config=env_config,
            network=self.network.network,
            data_key=self.keys.keys.data,
            logs_key=self.keys.keys.logs,
            image_repository=image_repository,
            image_access=image_access,
            description=f"{env_config.name}: PostgreSQL and its credentials, image repository, ALB log bucket",
        )
        self.service = ServiceStack(
            self,
            "Service",
            env_config=env_config,
            network=self.network.network,
            data=self.data,
            logs_key=self.keys.keys.logs,
            image_tag=image_tag,
            description=f"{env_config.name}: ECS cluster and service, load balancer, WAF, dashboard and alarms",
        )
        # Tagged once on the stage: the tags reach every stack and resource in it.
        tags = cdk.Tags.of(self)
        tags.add("environment", env_config.name)
        tags.add("profile", env_config.profile.value)


def deployment_environment(env_config: EnvironmentConfig) -> cdk.Environment | None:
    """Pinned to account and region when config names an account; environment-agnostic otherwise."""
    if env_config.account is None:
        return None
    return cdk.Environment(account=env_config.account, region=env_config.region)
