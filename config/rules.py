"""Semantic rules over typed configuration: the values that parse but must not be deployed.

Each rule returns messages naming the field, the value and what is allowed; the loader prefixes
them with the file and environment.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

from config.model import SEVERITIES, DeliveryConfig, EnvironmentConfig, SourceKind

# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_VALUES = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
# Enterprise keeps a year of logs: audit evidence that PCI DSS 10.7 and HIPAA reviews ask for.
MIN_LOG_RETENTION_DAYS = {"lean": 14, "enterprise": 365}
MIN_BACKUP_RETENTION_DAYS = 7
MIN_PROD_BACKUP_RETENTION_DAYS = 14
MAX_BACKUP_RETENTION_DAYS = 35  # RDS limit
SUPPORTED_POSTGRES_MAJORS = ("15", "16", "17")
# Valid Fargate task sizes: CPU units -> allowed memory (MiB).
FARGATE_TASK_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
}
RESERVED_ADMIN_NAMES = ("admin", "postgres", "root", "rdsadmin", "master", "administrator", "user")

_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_BRANCH = re.compile(r"^(?!/)(?!.*//)(?!.*\.\.)[A-Za-z0-9._/-]+(?<!/)$")
_GITHUB_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,99})$")
_NUMERIC_ID = re.compile(r"^\d+$")
_INSTANCE_CLASS = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
_ENGINE_VERSION = re.compile(r"^(\d+)\.(\d+)$")
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_HOSTED_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
_CERTIFICATE_ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$")
_CONNECTION_ARN = re.compile(
    r"^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection/[0-9a-f-]{36}$"
)
_BUCKET = re.compile(r"^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_OBJECT_KEY = re.compile(r"^[A-Za-z0-9!_.*'()/-]{1,1024}\.zip$")
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
_GITLAB_PROJECT = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$")
_HOST = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_REPOSITORY_NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
_PRIVATE_NETWORKS = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))


def validate_environment(env: EnvironmentConfig) -> list[str]:
    problems: list[str] = []
    problems += _identity(env)
    problems += _network(env)
    problems += _database(env)
    problems += _service(env)
    problems += _logs_and_gate(env)
    problems += _domain(env)
    return problems


def validate_together(environments: Sequence[EnvironmentConfig]) -> list[str]:
    problems: list[str] = []
    seen_branches: dict[str, str] = {}
    for env in environments:
        if env.branch in seen_branches:
            problems.append(
                f"environment {env.name!r}: field 'branch' = {env.branch!r} is already mapped to "
                f"environment {seen_branches[env.branch]!r}; each branch deploys exactly one environment"
            )
        seen_branches.setdefault(env.branch, env.name)
    for first_index, first in enumerate(environments):
        for second in environments[first_index + 1 :]:
            if first.account != second.account:
                continue
            first_net = ipaddress.ip_network(first.network.vpc_cidr)
            second_net = ipaddress.ip_network(second.network.vpc_cidr)
            if first_net.overlaps(second_net):
                account = first.account or "the deploying account (no account configured)"
                problems.append(
                    f"environment {second.name!r}: field 'network.vpc_cidr' = {second.network.vpc_cidr!r} "
                    f"overlaps environment {first.name!r} ({first.network.vpc_cidr}) in {account}; "
                    "VPCs in one account must not overlap, so they can be peered or routed later"
                )
    return problems


def _allowed(field: str, value: object, allowed: str) -> str:
    return f"field {field!r} = {value!r} is not allowed: {allowed}"


def _identity(env: EnvironmentConfig) -> list[str]:
    problems = []
    if not _BRANCH.match(env.branch):
        problems.append(_allowed("branch", env.branch, "a git branch name such as 'develop' or 'release/1.x'"))
    if env.account is not None and not _ACCOUNT.match(env.account):
        problems.append(_allowed("account", env.account, "a 12-digit AWS account id, or leave it out"))
    if not _REGION.match(env.region):
        problems.append(_allowed("region", env.region, "an AWS region code such as 'eu-central-1'"))
    if not _EMAIL.match(env.alerts_email):
        problems.append(_allowed("alerts_email", env.alerts_email, "an e-mail address"))
    repo = env.repository
    for field, value in (("repository.owner", repo.owner), ("repository.name", repo.name)):
        if not _GITHUB_NAME.match(value):
            problems.append(_allowed(field, value, "letters, digits, '.', '_' and '-'"))
    ids = (repo.owner_id, repo.repository_id)
    for id_field, id_value in (
        ("repository.owner_id", repo.owner_id),
        ("repository.repository_id", repo.repository_id),
    ):
        if id_value is not None and not _NUMERIC_ID.match(id_value):
            problems.append(_allowed(id_field, id_value, "the numeric id GitHub assigns, as a string"))
    if (ids[0] is None) != (ids[1] is None):
        problems.append(
            "fields 'repository.owner_id' and 'repository.repository_id' must be set together "
            "(GitHub's immutable OIDC subject needs both) or both left out"
        )
    if env.is_enterprise and not env.approval_required:
        problems.append(_allowed("approval_required", False, "enterprise environments deploy only after an approval"))
    return problems


def _network(env: EnvironmentConfig) -> list[str]:
    problems = []
    cidr = env.network.vpc_cidr
    try:
        network = ipaddress.ip_network(cidr, strict=True)
    except ValueError as error:
        problems.append(_allowed("network.vpc_cidr", cidr, f"an IPv4 network such as '10.20.0.0/16' ({error})"))
    else:
        if network.version != 4 or not 16 <= network.prefixlen <= 22:
            problems.append(_allowed("network.vpc_cidr", cidr, "an IPv4 network with a prefix from /16 to /22"))
        elif not any(network.subnet_of(private) for private in _PRIVATE_NETWORKS):  # type: ignore[arg-type]
            problems.append(_allowed("network.vpc_cidr", cidr, "a private (RFC 1918) range"))
    if not 2 <= env.network.max_azs <= 3:
        problems.append(_allowed("network.max_azs", env.network.max_azs, "2 or 3 availability zones"))
    return problems


def _database(env: EnvironmentConfig) -> list[str]:
    problems = []
    db = env.database
    match = _ENGINE_VERSION.match(db.engine_version)
    if not match or match.group(1) not in SUPPORTED_POSTGRES_MAJORS:
        problems.append(
            _allowed(
                "database.engine_version",
                db.engine_version,
                f"MAJOR.MINOR with a supported major version ({', '.join(SUPPORTED_POSTGRES_MAJORS)})",
            )
        )
    if not _INSTANCE_CLASS.match(db.instance_class):
        problems.append(_allowed("database.instance_class", db.instance_class, "an instance type such as 't4g.micro'"))
    if not 20 <= db.allocated_storage_gib <= 65536:
        problems.append(_allowed("database.allocated_storage_gib", db.allocated_storage_gib, "20 to 65536 GiB"))
    if db.max_allocated_storage_gib < db.allocated_storage_gib:
        problems.append(
            _allowed(
                "database.max_allocated_storage_gib",
                db.max_allocated_storage_gib,
                f"at least allocated_storage_gib ({db.allocated_storage_gib})",
            )
        )
    minimum = MIN_PROD_BACKUP_RETENTION_DAYS if env.name == "prod" else MIN_BACKUP_RETENTION_DAYS
    if not minimum <= db.backup_retention_days <= MAX_BACKUP_RETENTION_DAYS:
        problems.append(
            _allowed(
                "database.backup_retention_days",
                db.backup_retention_days,
                f"{minimum} to {MAX_BACKUP_RETENTION_DAYS} days in this environment",
            )
        )
    if env.is_enterprise and not db.multi_az:
        problems.append(_allowed("database.multi_az", db.multi_az, "enterprise environments run Multi-AZ databases"))
    if not _IDENTIFIER.match(db.database_name):
        problems.append(_allowed("database.database_name", db.database_name, "lower-case letters, digits and '_'"))
    if not _IDENTIFIER.match(db.admin_username) or db.admin_username in RESERVED_ADMIN_NAMES:
        problems.append(
            _allowed(
                "database.admin_username",
                db.admin_username,
                f"a lower-case identifier other than the well-known {', '.join(RESERVED_ADMIN_NAMES)}",
            )
        )
    return problems


def _service(env: EnvironmentConfig) -> list[str]:
    problems = []
    svc = env.service
    if svc.cpu not in FARGATE_TASK_SIZES:
        problems.append(_allowed("service.cpu", svc.cpu, f"one of {', '.join(map(str, FARGATE_TASK_SIZES))}"))
    elif svc.memory_mib not in FARGATE_TASK_SIZES[svc.cpu]:
        allowed = FARGATE_TASK_SIZES[svc.cpu]
        problems.append(
            _allowed(
                "service.memory_mib",
                svc.memory_mib,
                f"with cpu {svc.cpu}: {allowed[0]} to {allowed[-1]} MiB, per Fargate's task sizes",
            )
        )
    if not 1024 <= svc.container_port <= 65535:
        problems.append(
            _allowed(
                "service.container_port", svc.container_port, "1024 to 65535 (the container runs as a non-root user)"
            )
        )
    if not 1 <= svc.min_count <= svc.desired_count <= svc.max_count:
        problems.append(
            f"fields 'service.min_count' = {svc.min_count}, 'service.desired_count' = {svc.desired_count}, "
            f"'service.max_count' = {svc.max_count} must satisfy 1 <= min <= desired <= max"
        )
    if env.is_enterprise and svc.on_demand_base < 1:
        problems.append(
            _allowed(
                "service.on_demand_base", svc.on_demand_base, "at least 1 on-demand task in enterprise environments"
            )
        )
    if not env.is_enterprise and svc.on_demand_base != 0:
        problems.append(
            _allowed("service.on_demand_base", svc.on_demand_base, "0 in lean environments (Fargate Spot only)")
        )
    if svc.on_demand_base > svc.max_count:
        problems.append(_allowed("service.on_demand_base", svc.on_demand_base, f"at most max_count ({svc.max_count})"))
    if not 1 <= svc.ecr_release_images_kept <= 1000:
        problems.append(_allowed("service.ecr_release_images_kept", svc.ecr_release_images_kept, "1 to 1000 images"))
    if env.is_enterprise and not svc.waf_enabled:
        problems.append(
            _allowed("service.waf_enabled", svc.waf_enabled, "enterprise environments attach a WAF web ACL")
        )
    if not svc.health_check_path.startswith("/"):
        problems.append(_allowed("service.health_check_path", svc.health_check_path, "a path starting with '/'"))
    return problems


def _logs_and_gate(env: EnvironmentConfig) -> list[str]:
    problems = []
    minimum = MIN_LOG_RETENTION_DAYS[env.profile.value]
    allowed_values = [v for v in LOG_RETENTION_VALUES if v >= minimum]
    if env.log_retention_days not in allowed_values:
        problems.append(
            _allowed(
                "log_retention_days",
                env.log_retention_days,
                f"a CloudWatch Logs retention of at least {minimum} days for the {env.profile.value} profile: "
                f"{', '.join(map(str, allowed_values))}",
            )
        )
    if env.gate.block_at not in SEVERITIES:
        problems.append(_allowed("gate.block_at", env.gate.block_at, f"one of {', '.join(SEVERITIES)}"))
    return problems


def _domain(env: EnvironmentConfig) -> list[str]:
    domain = env.domain
    if domain is None:
        if env.is_enterprise:
            return [
                "field 'domain' is missing: enterprise environments serve HTTPS only, so they need "
                "domain.domain_name with domain.certificate_arn or domain.hosted_zone_id"
            ]
        return []
    problems = []
    if not _DOMAIN.match(domain.domain_name):
        problems.append(
            _allowed("domain.domain_name", domain.domain_name, "a lower-case DNS name such as 'app.example.com'")
        )
    if domain.certificate_arn is not None and not _CERTIFICATE_ARN.match(domain.certificate_arn):
        problems.append(_allowed("domain.certificate_arn", domain.certificate_arn, "an ACM certificate ARN"))
    if domain.hosted_zone_id is not None:
        if not _HOSTED_ZONE_ID.match(domain.hosted_zone_id):
            problems.append(
                _allowed(
                    "domain.hosted_zone_id", domain.hosted_zone_id, "a Route 53 hosted zone id such as 'Z0123456789ABC'"
                )
            )
        zone = domain.hosted_zone_name
        if zone is None or not (domain.domain_name == zone or domain.domain_name.endswith("." + zone)):
            problems.append(
                _allowed(
                    "domain.hosted_zone_name",
                    zone,
                    f"the hosted zone's name, a suffix of domain_name ({domain.domain_name!r})",
                )
            )
    elif domain.hosted_zone_name is not None:
        problems.append("field 'domain.hosted_zone_name' needs domain.hosted_zone_id beside it")
    if domain.certificate_arn is None and domain.hosted_zone_id is None:
        problems.append(
            "field 'domain' needs domain.certificate_arn (an existing certificate) or domain.hosted_zone_id "
            "(a certificate validated through DNS)"
        )
    return problems


def validate_delivery(delivery: DeliveryConfig) -> list[str]:
    problems: list[str] = []
    if delivery.account is not None and not _ACCOUNT.match(delivery.account):
        problems.append(_allowed("account", delivery.account, "a 12-digit AWS account id, or leave it out"))
    if not _REGION.match(delivery.region):
        problems.append(_allowed("region", delivery.region, "an AWS region code such as 'eu-central-1'"))
    problems += _delivery_source(delivery)
    if not _EMAIL.match(delivery.notifications_email):
        problems.append(_allowed("notifications_email", delivery.notifications_email, "an e-mail address"))
    if delivery.log_retention_days not in LOG_RETENTION_VALUES or delivery.log_retention_days < 365:
        problems.append(
            _allowed(
                "log_retention_days",
                delivery.log_retention_days,
                "a CloudWatch Logs retention of at least 365 days (build logs are audit evidence)",
            )
        )
    if not _SEMVER.match(delivery.release_version):
        problems.append(_allowed("release_version", delivery.release_version, "a semantic version such as '1.4.0'"))
    if not _REPOSITORY_NAME.match(delivery.image_repository):
        problems.append(_allowed("image_repository", delivery.image_repository, "a lower-case ECR repository name"))
    if delivery.gitlab is not None:
        if not _GITLAB_PROJECT.match(delivery.gitlab.project_path):
            problems.append(_allowed("gitlab.project_path", delivery.gitlab.project_path, "GROUP/PROJECT"))
        if not _HOST.match(delivery.gitlab.host):
            problems.append(
                _allowed("gitlab.host", delivery.gitlab.host, "a host name such as 'gitlab.com', no scheme or path")
            )
    return problems


def validate_delivery_with_environments(
    delivery: DeliveryConfig, environments: Sequence[EnvironmentConfig]
) -> list[str]:
    """Rules across delivery.toml and the environment files."""
    named = [f"{env.name!r} ({env.account})" for env in environments if env.account is not None]
    if named and delivery.account is None:
        return [
            f"field 'account' is missing while environments {', '.join(named)} name their accounts: name the "
            "tooling account the pipeline runs in: CDK Pipelines deploys into other accounts only from a "
            "stack pinned to its own, and each environment's image repository admits that account's release roles"
        ]
    return []


def _delivery_source(delivery: DeliveryConfig) -> list[str]:
    problems: list[str] = []
    if delivery.source is SourceKind.CONNECTION:
        if delivery.connection_arn is None or not _CONNECTION_ARN.match(delivery.connection_arn):
            problems.append(
                _allowed(
                    "connection_arn",
                    delivery.connection_arn,
                    "with source = 'connection', the ARN of a CodeConnections connection "
                    "(arn:aws:codeconnections:REGION:ACCOUNT:connection/UUID)",
                )
            )
        if delivery.source_bucket is not None or delivery.source_object_key is not None:
            problems.append("fields 'source_bucket'/'source_object_key' apply only with source = 's3'; remove them")
        return problems
    if delivery.source_bucket is None or not _BUCKET.match(delivery.source_bucket):
        problems.append(_allowed("source_bucket", delivery.source_bucket, "with source = 's3', an S3 bucket name"))
    if delivery.source_object_key is None or not _OBJECT_KEY.match(delivery.source_object_key):
        problems.append(
            _allowed("source_object_key", delivery.source_object_key, "with source = 's3', the key of a .zip object")
        )
    if delivery.connection_arn is not None:
        problems.append("field 'connection_arn' applies only with source = 'connection'; remove it")
    return problems
