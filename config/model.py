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
