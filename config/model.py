"""The typed, frozen shape of one environment's configuration.

Every field here has a counterpart in `config/defaults.toml` or an environment file; the loader
builds these objects from TOML and refuses unknown keys, wrong types and unsafe values.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Profile(StrEnum):
    LEAN = "lean"
    ENTERPRISE = "enterprise"


# Ordered from least to most severe; the gate blocks at a threshold in this order.
SEVERITIES: tuple[str, ...] = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")


@dataclass(frozen=True)
class NetworkConfig:
    vpc_cidr: str
    max_azs: int


@dataclass(frozen=True)
class DatabaseConfig:
    engine_version: str
    instance_class: str
    allocated_storage_gib: int
    max_allocated_storage_gib: int
    backup_retention_days: int
    multi_az: bool
    database_name: str
    admin_username: str


@dataclass(frozen=True)
class ServiceConfig:
    container_port: int
    cpu: int
    memory_mib: int
    desired_count: int
    min_count: int
    max_count: int
    on_demand_base: int
    enable_ecs_exec: bool
    ecr_release_images_kept: int
    waf_enabled: bool
    health_check_path: str


@dataclass(frozen=True)
class RepositoryConfig:
    owner: str
    name: str
    # GitHub's immutable subject format (repo:OWNER@OWNER_ID/REPO@REPO_ID) is used when both ids are set.
    owner_id: str | None
    repository_id: str | None

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass(frozen=True)
class GateConfig:
    # Findings at or above this severity block a deploy; secrets block in every environment.
    block_at: str
    # Whether a scanner that could not do its job (a coverage gap) blocks.
    coverage_gaps_block: bool


@dataclass(frozen=True)
class DomainConfig:
    domain_name: str
    # An existing ACM certificate for domain_name; when absent and hosted_zone_id is set, one is
    # requested and validated through DNS in that zone.
    certificate_arn: str | None
    hosted_zone_id: str | None
    hosted_zone_name: str | None


@dataclass(frozen=True)
class EnvironmentConfig:
    name: str
    branch: str
    profile: Profile
    account: str | None
    region: str
    alerts_email: str
    log_retention_days: int
    approval_required: bool
    network: NetworkConfig
    database: DatabaseConfig
    service: ServiceConfig
    repository: RepositoryConfig
    gate: GateConfig
    domain: DomainConfig | None

    @property
    def is_enterprise(self) -> bool:
        return self.profile is Profile.ENTERPRISE

    @property
    def stage_id(self) -> str:
        """The construct id of this environment's Stage: `dev` -> `Dev`."""
        return self.name.capitalize()


class SourceKind(StrEnum):
    # A CodeConnections connection to the hosted repository, or an S3 object for air-gapped accounts.
    CONNECTION = "connection"
    S3 = "s3"


@dataclass(frozen=True)
class GitLabConfig:
    # GROUP/PROJECT (subgroups allowed) as it appears in the token's project_path claim.
    project_path: str
    # gitlab.com, or the host of a self-managed instance; the identity provider URL is https://<host>.
    host: str


@dataclass(frozen=True)
class DeliveryConfig:
    """The delivery path: one pipeline, in a tooling account, promoting through every environment."""

    # The tooling account and region of the pipeline; without an account the stack is environment-agnostic.
    account: str | None
    region: str
    source: SourceKind
    # CodeConnections connection to the repository (source = "connection").
    connection_arn: str | None
    # Bucket and object key of the zipped source (source = "s3"); the bucket must have versioning on.
    source_bucket: str | None
    source_object_key: str | None
    # Pipeline failures, gate blocks and pending approvals are e-mailed here.
    notifications_email: str
    log_retention_days: int
    # Semantic version of the workload image; each environment adds its suffix (1.4.0-dev).
    release_version: str
    # The ECR repository of each environment is named <environment>/<image_repository> (the Data stack).
    image_repository: str
    gitlab: GitLabConfig | None


@dataclass(frozen=True)
class ImageRepositoryAccess:
    """The roles of the tooling account that use one environment's image repository from across accounts.

    Derived from `delivery.toml` and the environment (config/image_access.py), never written in a file.
    """

    tooling_account: str
    # Role names in the tooling account that push: the image, its tags, SBOM and signature ...
    push_roles: tuple[str, ...]
    # ... and that only pull: the next environment's release step copies the image from here.
    pull_roles: tuple[str, ...]


# The reference workload's repository, for an app built without the delivery configuration (environments
# alone, in tests); with it, `image_repository` in delivery.toml names the repository.
DEFAULT_IMAGE_REPOSITORY = "polls"


def image_repository_name(env: EnvironmentConfig, image_repository: str) -> str:
    """The one name of an environment's image repository: its Data stack creates it, the pipeline pushes to it."""
    return f"{env.name}/{image_repository}"
