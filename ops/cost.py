"""Monthly list-price estimate of every environment and account baseline: `make cost [ENV=dev]`.

Reads the synthesized templates (what CloudFormation would create: the load balancer, NAT gateways,
endpoints per Availability Zone, the task size and capacity-provider strategy, the database class,
Multi-AZ, storage and backup retention, keys, log groups, the web ACL's rules, the baseline's
services) and the configuration (task count, kept images), prices each resource with the figures in
`ops/prices/<region>.toml` and the usage volumes in `ops/cost-assumptions.toml`, and prints one line
per resource and charge with the assumption beside it. A resource type the estimate does not know is
listed as unpriced, never dropped; a type that costs nothing by itself is counted as such.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config import load_environments
from config.baselines import load_baselines
from config.model import EnvironmentConfig
from ops.assembly import AssemblyError, CloudAssembly, Stack, Stage, load, path_of

REPO_ROOT = Path(__file__).resolve().parent.parent
PRICES_DIR = Path(__file__).resolve().parent / "prices"
ASSUMPTIONS_FILE = Path(__file__).resolve().parent / "cost-assumptions.toml"
# The target: the lean dev environment with the full account baseline, at list price.
TARGET_USD = 60.0
TARGET_ENVIRONMENT = "dev"
# Working hours for the proposed cut: 12 hours on 22 working days.
WORKING_HOURS_PER_MONTH = 12 * 22

# Types that cost nothing by themselves; the reason is printed in the summary.
NO_CHARGE: dict[str, str] = {
    "AWS::EC2::VPC": "no charge",
    "AWS::EC2::Subnet": "no charge",
    "AWS::EC2::RouteTable": "no charge",
    "AWS::EC2::Route": "no charge",
    "AWS::EC2::SubnetRouteTableAssociation": "no charge",
    "AWS::EC2::InternetGateway": "no charge (traffic out is billed as data transfer, not estimated)",
    "AWS::EC2::VPCGatewayAttachment": "no charge",
    "AWS::EC2::SecurityGroup": "no charge",
    "AWS::EC2::SecurityGroupIngress": "no charge",
    "AWS::EC2::SecurityGroupEgress": "no charge",
    "AWS::EC2::FlowLog": "billed through its log group",
    "AWS::IAM::Role": "no charge",
    "AWS::IAM::Policy": "no charge",
    "AWS::IAM::ManagedPolicy": "no charge",
    "AWS::IAM::OIDCProvider": "no charge",
    "AWS::KMS::Alias": "no charge",
    "AWS::ECS::Cluster": "no charge (Fargate tasks are billed on the service)",
    "AWS::ECS::ClusterCapacityProviderAssociations": "no charge",
    "AWS::ECS::TaskDefinition": "billed on the service that runs it",
    "AWS::ElasticLoadBalancingV2::Listener": "billed on the load balancer",
    "AWS::ElasticLoadBalancingV2::TargetGroup": "billed on the load balancer",
    "AWS::ApplicationAutoScaling::ScalableTarget": "no charge",
    "AWS::ApplicationAutoScaling::ScalingPolicy": "no charge",
    "AWS::RDS::DBParameterGroup": "no charge",
    "AWS::RDS::DBSubnetGroup": "no charge",
    "AWS::Backup::BackupPlan": "billed through the vault's storage",
    "AWS::Backup::BackupSelection": "billed through the vault's storage",
    "AWS::CertificateManager::Certificate": "public ACM certificates are free",
    "AWS::Route53::RecordSet": "alias records to a load balancer are free; the hosted zone exists already",
    "AWS::WAFv2::WebACLAssociation": "billed on the web ACL",
    "AWS::WAFv2::LoggingConfiguration": "billed through its log group",
    "AWS::S3::BucketPolicy": "no charge",
    "AWS::SNS::Topic": "inside the always-free tier (1 million publishes, 1,000 e-mails a month)",
    "AWS::SNS::Subscription": "no charge",
    "AWS::SNS::TopicPolicy": "no charge",
    "AWS::SQS::Queue": "inside the always-free tier (1 million requests a month)",
    "AWS::SQS::QueuePolicy": "no charge",
    "AWS::Events::Rule": "events from AWS services are free",
    "AWS::Lambda::Function": "deploy-time and per-finding runs stay inside the always-free tier",
    "AWS::AccessAnalyzer::Analyzer": "external access analysis is free",
    "AWS::Config::DeliveryChannel": "billed through the recorder and the bucket",
    "AWS::SecurityHub::Standard": "billed on the hub, per check",
    "AWS::SecurityHub::Insight": "no charge",
    "Custom::VpcRestrictDefaultSG": "runs once per deploy (Lambda free tier)",
}


class PriceError(ValueError):
    """A price or an assumption the estimate needs is not in the data files."""


@dataclass(frozen=True)
class Price:
    key: str
    usd: float
    per: str
    page: str
    basis: str


@dataclass(frozen=True)
class PriceBook:
    path: Path
    region: str
    as_of: dt.date
    source: str
    recheck: str
    hours_per_month: float
    prices: dict[str, Price]

    def __getitem__(self, key: str) -> Price:
        try:
            return self.prices[key]
        except KeyError:
            raise PriceError(f"{self.path.name} has no price key {key!r}") from None


def load_prices(region: str, prices_dir: Path = PRICES_DIR) -> PriceBook:
    path = prices_dir / f"{region}.toml"
    if not path.is_file():
        raise PriceError(f"no price file for region {region!r}: expected {path}")
    raw = tomllib.loads(path.read_text())
    meta = raw["meta"]
    if meta["region"] != region:
        raise PriceError(f"{path.name} says region {meta['region']!r}, expected {region!r}")
    prices = {
        key: Price(key, float(entry["usd"]), str(entry["per"]), str(entry["page"]), str(entry.get("basis", region)))
        for key, entry in raw["price"].items()
    }
    return PriceBook(
        path=path,
        region=region,
        as_of=meta["as_of"],
        source=str(meta["source"]),
        recheck=str(meta["recheck"]),
        hours_per_month=float(meta["hours_per_month"]),
        prices=prices,
    )


@dataclass(frozen=True)
class Assumption:
    key: str
    value: float
    unit: str
    why: str

    def __str__(self) -> str:
        return f"{_number(self.value)} {self.unit} ({self.why})"


@dataclass(frozen=True)
class Assumptions:
    profiles: dict[str, dict[str, Assumption]]
    baseline: dict[str, Assumption]
    rds_vcpus: dict[str, int]


def load_assumptions(path: Path = ASSUMPTIONS_FILE) -> Assumptions:
    raw = tomllib.loads(path.read_text())

    def table(entries: dict[str, Any]) -> dict[str, Assumption]:
        return {k: Assumption(k, float(v["value"]), str(v["unit"]), str(v["why"])) for k, v in entries.items()}

    return Assumptions(
        profiles={name: table(entries) for name, entries in raw["profile"].items()},
        baseline=table(raw["baseline"]),
        rds_vcpus={k: int(v) for k, v in raw["rds_vcpus"].items()},
    )


@dataclass(frozen=True)
class Line:
    scope: str
    resource: str
    resource_type: str
    item: str
    quantity: float
    unit: str
    price_key: str
    unit_price: float
    assumption: str

    @property
    def monthly(self) -> float:
        # Rounded to cents per line, so a printed total is exactly the sum of the printed lines.
        return round(self.quantity * self.unit_price, 2)


@dataclass(frozen=True)
class Unpriced:
    resource: str
    resource_type: str
    reason: str


@dataclass
class Estimate:
    scope: str
    # "environment" or "baseline"
    kind: str
    profile: str
    lines: list[Line] = field(default_factory=list)
    unpriced: list[Unpriced] = field(default_factory=list)
    no_charge: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> float:
        return round(sum(line.monthly for line in self.lines), 2)


@dataclass
class _Context:
    """What a pricer needs besides the resource: prices, volumes, the environment and its stage."""

    book: PriceBook
    volumes: dict[str, Assumption]
    assumptions: Assumptions
    estimate: Estimate
    stack: Stack
    logical_id: str
    resource: dict[str, Any]
    stage: Stage | None = None
    env: EnvironmentConfig | None = None
    # For a baseline: the environments (config and stage) deployed into its account.
    account: list[tuple[EnvironmentConfig, Stage]] = field(default_factory=list)

    @property
    def props(self) -> dict[str, Any]:
        properties: dict[str, Any] = self.resource.get("Properties", {})
        return properties

    @property
    def hours(self) -> float:
        return self.book.hours_per_month

    def volume(self, key: str) -> Assumption:
        if key not in self.volumes:
            raise PriceError(f"{ASSUMPTIONS_FILE.name} has no assumption {key!r} for {self.estimate.scope}")
        return self.volumes[key]

    def line(self, item: str, quantity: float, unit: str, price_key: str, assumption: str = "") -> Line:
        price = self.book[price_key]
        return Line(
            scope=self.estimate.scope,
            resource=f"{self.stack.name}/{self.logical_id}",
            resource_type=str(self.resource.get("Type")),
            item=item,
            quantity=quantity,
            unit=unit,
            price_key=price_key,
            unit_price=price.usd,
            assumption=assumption,
        )


# ---------------------------------------------------------------------------------------------
# Pricers: one per priced resource type, each returning the resource's lines.


def _load_balancer(ctx: _Context) -> list[Line]:
    lcu = ctx.volume("alb_lcu")
    lines = [
        ctx.line("load balancer hours", ctx.hours, "ALB-hour", "alb_hour"),
        ctx.line("load balancer capacity units", lcu.value * ctx.hours, "LCU-hour", "alb_lcu_hour", str(lcu)),
    ]
    if ctx.props.get("Scheme", "internet-facing") == "internet-facing":
        azs = len(ctx.props.get("Subnets", []) or ctx.props.get("SubnetMappings", []))
        lines.append(
            ctx.line(
                f"public IPv4, one per Availability Zone ({azs})",
                azs * ctx.hours,
                "address-hour",
                "public_ipv4_hour",
            )
        )
    return lines


def _nat_gateway(ctx: _Context) -> list[Line]:
    gb = ctx.volume("nat_gb_month")
    return [
        ctx.line("NAT gateway hours", ctx.hours, "gateway-hour", "nat_gateway_hour"),
        ctx.line("data processed", gb.value, "GB", "nat_gateway_gb", str(gb)),
    ]


def _elastic_ip(ctx: _Context) -> list[Line]:
    return [ctx.line("public IPv4 (Elastic IP)", ctx.hours, "address-hour", "public_ipv4_hour")]


def _endpoint(ctx: _Context) -> list[Line]:
    if ctx.props.get("VpcEndpointType", "Gateway") != "Interface":
        # Gateway endpoints (S3, DynamoDB) cost nothing; shown so the endpoint is visibly priced.
        return [ctx.line("gateway endpoint", 1, "endpoint-month", "gateway_endpoint_month")]
    azs = len(ctx.props.get("SubnetIds", []))
    gb = ctx.volume("endpoint_gb_month")
    return [
        ctx.line(f"interface endpoint in {azs} AZs", azs * ctx.hours, "AZ-hour", "interface_endpoint_az_hour"),
        ctx.line("data processed", gb.value, "GB", "interface_endpoint_gb", str(gb)),
    ]


def _fargate_service(ctx: _Context) -> list[Line]:
    if ctx.stage is None or ctx.env is None:
        return []
    task = ctx.stage.resolve(ctx.props.get("TaskDefinition"), ctx.stack)
    if task is None:
        raise PriceError(f"{ctx.stack.name}/{ctx.logical_id}: task definition not found")
    vcpu = int(task.resource["Properties"]["Cpu"]) / 1024
    memory_gb = int(task.resource["Properties"]["Memory"]) / 1024
    desired = ctx.env.service.desired_count
    on_demand, spot = capacity_split(desired, ctx.props.get("CapacityProviderStrategy", []))
    where = f"{desired} task(s) configured (config/{ctx.env.name}.toml service.desired_count)"
    lines = []
    for label, tasks, vcpu_key, gb_key in (
        ("Fargate", on_demand, "fargate_vcpu_hour", "fargate_gb_hour"),
        ("Fargate Spot", spot, "fargate_spot_vcpu_hour", "fargate_spot_gb_hour"),
    ):
        if tasks:
            size = f"{_number(tasks)} task(s) x {_number(vcpu)} vCPU"
            lines.append(ctx.line(f"{label}: {size}", tasks * vcpu * ctx.hours, "vCPU-hour", vcpu_key, where))
            size = f"{_number(tasks)} task(s) x {_number(memory_gb)} GB"
            lines.append(ctx.line(f"{label}: {size}", tasks * memory_gb * ctx.hours, "GB-hour", gb_key, where))
    public = ctx.props.get("NetworkConfiguration", {}).get("AwsvpcConfiguration", {}).get("AssignPublicIp")
    if public == "ENABLED":
        lines.append(
            ctx.line(f"public IPv4, one per task ({desired})", desired * ctx.hours, "address-hour", "public_ipv4_hour")
        )
    return lines


def capacity_split(desired: int, strategy: list[dict[str, Any]]) -> tuple[float, float]:
    """Tasks on FARGATE and on FARGATE_SPOT: each provider's base first, the rest by weight (as ECS places them)."""
    if not strategy:
        return float(desired), 0.0
    placed = {"FARGATE": 0.0, "FARGATE_SPOT": 0.0}
    remaining = float(desired)
    for entry in strategy:
        base = min(float(entry.get("Base", 0)), remaining)
        placed[str(entry["CapacityProvider"])] += base
        remaining -= base
    weights = sum(float(entry.get("Weight", 0)) for entry in strategy)
    for entry in strategy:
        if weights:
            placed[str(entry["CapacityProvider"])] += remaining * float(entry.get("Weight", 0)) / weights
    return placed["FARGATE"], placed["FARGATE_SPOT"]


def _database(ctx: _Context) -> list[Line]:
    props = ctx.props
    instance_class = str(props["DBInstanceClass"])
    engine = str(props.get("Engine", "postgres"))
    multi_az = bool(props.get("MultiAZ"))
    copies = 2 if multi_az else 1
    deployment = "Multi-AZ: primary and standby" if multi_az else "Single-AZ"
    storage_gb = float(props.get("AllocatedStorage", 20))
    storage_type = str(props.get("StorageType", "gp2"))
    lines = [
        ctx.line(
            f"{instance_class} ({deployment})",
            copies * ctx.hours,
            "instance-hour",
            f"rds_{engine}_hour_{instance_class.replace('.', '_')}",
        ),
        ctx.line(
            f"{storage_type} storage ({deployment})", copies * storage_gb, "GB-month", f"rds_{storage_type}_gb_month"
        ),
    ]
    retention = int(props.get("BackupRetentionPeriod", 1))
    change = ctx.volume("backup_daily_change")
    backups = storage_gb * (1 + change.value * retention)
    lines.append(
        ctx.line(
            f"backups beyond the free {_number(storage_gb)} GB ({retention} days kept)",
            round(max(0.0, backups - storage_gb), 2),
            "GB-month",
            "rds_backup_gb_month",
            str(change),
        )
    )
    if props.get("EnablePerformanceInsights"):
        days = int(props.get("PerformanceInsightsRetentionPeriod", 7))
        if days > 7:
            ctx.estimate.unpriced.append(
                Unpriced(f"{ctx.stack.name}/{ctx.logical_id}", "Performance Insights", f"{days} days retention is paid")
            )
        else:
            lines.append(ctx.line("Performance Insights, 7 days", 1, "instance", "rds_performance_insights_free_days"))
    if props.get("ManageMasterUserPassword"):
        lines.append(ctx.line("RDS-managed master secret", 1, "secret-month", "secret_month"))
    return lines


def _backup_vault(ctx: _Context) -> list[Line]:
    if ctx.env is None:
        return []
    plans = ctx.stack.of_type("AWS::Backup::BackupPlan").values()
    days = max(
        (
            int(rule.get("Lifecycle", {}).get("DeleteAfterDays", 35))
            for plan in plans
            for rule in plan["Properties"]["BackupPlan"]["BackupPlanRule"]
        ),
        default=35,
    )
    change = ctx.volume("backup_daily_change")
    size = ctx.env.database.allocated_storage_gib * (1 + change.value * days)
    return [
        ctx.line(
            f"daily snapshots kept {days} days: one full, then increments",
            round(size, 2),
            "GB-month",
            "backup_warm_gb_month",
            str(change),
        )
    ]


def _kms_key(ctx: _Context) -> list[Line]:
    return [ctx.line("customer managed key", 1, "key-month", "kms_key_month")]


def _log_group(ctx: _Context) -> list[Line]:
    key = "log_ingest_gb_month" if ctx.estimate.kind == "environment" else "trail_log_ingest_gb_month"
    ingest = ctx.volume(key)
    cap = ctx.volumes.get("log_months_kept_max") or ctx.assumptions.profiles["enterprise"]["log_months_kept_max"]
    retention = ctx.props.get("RetentionInDays")
    months = cap.value if retention is None else min(int(retention) / 30, cap.value)
    return [
        ctx.line("log ingestion", ingest.value, "GB", "logs_ingest_gb", str(ingest)),
        ctx.line(
            f"log storage, steady state ({_number(round(months, 1))} months kept)",
            round(ingest.value * months, 2),
            "GB-month",
            "logs_store_gb_month",
            "ingestion above, kept for the group's retention",
        ),
    ]


def _dashboard(ctx: _Context) -> list[Line]:
    return [ctx.line("dashboard", 1, "dashboard-month", "cloudwatch_dashboard_month")]


def _alarm(ctx: _Context) -> list[Line]:
    # A metric-math alarm is billed per metric it reads; a plain alarm reads one.
    metrics = [m for m in ctx.props.get("Metrics", []) if "MetricStat" in m] or [ctx.props]
    return [
        ctx.line(
            f"alarm on {len(metrics)} metric(s)", len(metrics), "alarm metric-month", "cloudwatch_alarm_metric_month"
        )
    ]


def _composite_alarm(ctx: _Context) -> list[Line]:
    return [ctx.line("composite alarm", 1, "alarm-month", "cloudwatch_composite_alarm_month")]


def _web_acl(ctx: _Context) -> list[Line]:
    rules = len(ctx.props.get("Rules", []))
    requests = ctx.volume("waf_million_requests")
    return [
        ctx.line("web ACL", 1, "ACL-month", "waf_web_acl_month"),
        ctx.line(f"rules and managed rule groups ({rules})", rules, "rule-month", "waf_rule_month"),
        ctx.line("requests inspected", requests.value, "million requests", "waf_million_requests", str(requests)),
    ]


def _bucket(ctx: _Context) -> list[Line]:
    size = ctx.volume("log_bucket_gb" if ctx.estimate.kind == "environment" else "audit_bucket_gb")
    return [ctx.line("S3 Standard storage", size.value, "GB-month", "s3_standard_gb_month", str(size))]


def _repository(ctx: _Context) -> list[Line]:
    if ctx.env is None:
        return []
    kept = ctx.env.service.ecr_release_images_kept
    size = ctx.volume("ecr_image_gb")
    return [
        ctx.line(
            f"image storage ({kept} release images kept, config service.ecr_release_images_kept)",
            round(kept * size.value, 2),
            "GB-month",
            "ecr_gb_month",
            str(size),
        )
    ]


def _trail(ctx: _Context) -> list[Line]:
    for selector in ctx.props.get("EventSelectors", []):
        if selector.get("DataResources"):
            ctx.estimate.unpriced.append(
                Unpriced(f"{ctx.stack.name}/{ctx.logical_id}", "CloudTrail data events", "no data-event volume assumed")
            )
    return [ctx.line("management events, first copy", 1, "trail", "cloudtrail_management_first_copy")]


def _config_recorder(ctx: _Context) -> list[Line]:
    items = ctx.volume("config_items_month")
    return [ctx.line("configuration items recorded", items.value, "item", "config_item", str(items))]


def _config_rule(ctx: _Context) -> list[Line]:
    evaluations = ctx.volume("config_evaluations_per_rule")
    name = ctx.props.get("ConfigRuleName") or ctx.props.get("Source", {}).get("SourceIdentifier", ctx.logical_id)
    return [
        ctx.line(
            f"rule evaluations ({name})", evaluations.value, "evaluation", "config_rule_evaluation", str(evaluations)
        )
    ]


def _guardduty(ctx: _Context) -> list[Line]:
    events = ctx.volume("cloudtrail_million_events")
    flows = ctx.volume("flow_dns_gb")
    lines = [
        ctx.line(
            "CloudTrail events analysed",
            events.value,
            "million events",
            "guardduty_million_cloudtrail_events",
            str(events),
        ),
        ctx.line("VPC flow and DNS logs analysed", flows.value, "GB", "guardduty_flow_dns_gb", str(flows)),
    ]
    features = {f["Name"] for f in ctx.props.get("Features", []) if f.get("Status") == "ENABLED"}
    if "S3_DATA_EVENTS" in features:
        s3 = ctx.volume("s3_million_events")
        lines.append(ctx.line("S3 Protection", s3.value, "million events", "guardduty_million_s3_events", str(s3)))
    if "RDS_LOGIN_EVENTS" in features:
        vcpus = 0
        for _, stage in ctx.account:
            for stack in stage.stacks.values():
                for db in stack.of_type("AWS::RDS::DBInstance").values():
                    instance_class = str(db["Properties"]["DBInstanceClass"])
                    if instance_class not in ctx.assumptions.rds_vcpus:
                        raise PriceError(f"{ASSUMPTIONS_FILE.name} [rds_vcpus] has no entry for {instance_class}")
                    vcpus += ctx.assumptions.rds_vcpus[instance_class]
        lines.append(
            ctx.line(
                f"RDS Protection ({len(ctx.account)} environments' instances)",
                vcpus,
                "vCPU-month",
                "guardduty_rds_vcpu_month",
                "vCPUs of each environment's instance class",
            )
        )
    if "LAMBDA_NETWORK_LOGS" in features:
        gb = ctx.volume("lambda_network_gb")
        lines.append(ctx.line("Lambda Protection", gb.value, "GB", "guardduty_lambda_gb", str(gb)))
    if "RUNTIME_MONITORING" in features:
        vcpus_f = 0.0
        for env, stage in ctx.account:
            for stack in stage.stacks.values():
                for task in stack.of_type("AWS::ECS::TaskDefinition").values():
                    vcpus_f += env.service.desired_count * int(task["Properties"]["Cpu"]) / 1024
        lines.append(
            ctx.line(
                "Runtime Monitoring of Fargate tasks",
                vcpus_f,
                "vCPU-month",
                "guardduty_fargate_vcpu_month",
                "configured task count x task vCPUs, every environment in the account",
            )
        )
    return lines


def _security_hub(ctx: _Context) -> list[Line]:
    standards = len(ctx.stack.of_type("AWS::SecurityHub::Standard"))
    per_standard = ctx.volume("securityhub_checks_per_standard")
    findings = ctx.volume("securityhub_findings_ingested")
    return [
        ctx.line(
            f"security checks ({standards} standards)",
            standards * per_standard.value,
            "check",
            "securityhub_check",
            str(per_standard),
        ),
        ctx.line(
            "finding ingestion beyond the free 10,000",
            max(0.0, findings.value - 10_000),
            "finding",
            "securityhub_finding_ingested",
            str(findings),
        ),
    ]


def _custom_aws(ctx: _Context) -> list[Line]:
    if "Inspector2" not in str(ctx.props.get("Create", "")):
        ctx.estimate.no_charge["Custom::AWS"] += 1
        return []
    environments = len(ctx.account)
    pushed = ctx.volume("images_pushed_per_environment")
    rescans = ctx.volume("image_rescans_per_environment")
    functions = sum(
        len(stack.of_type("AWS::Lambda::Function")) for _, stage in ctx.account for stack in stage.stacks.values()
    ) + len(ctx.stack.of_type("AWS::Lambda::Function"))
    return [
        ctx.line(
            f"ECR image scans ({environments} environments)",
            environments * pushed.value,
            "image",
            "inspector_ecr_initial_scan",
            str(pushed),
        ),
        ctx.line("ECR image rescans", environments * rescans.value, "rescan", "inspector_ecr_rescan", str(rescans)),
        ctx.line(
            f"Lambda functions scanned ({functions})",
            functions,
            "function-month",
            "inspector_lambda_function_month",
            "Lambda functions in this account's templates",
        ),
    ]


PRICERS: dict[str, Any] = {
    "AWS::ElasticLoadBalancingV2::LoadBalancer": _load_balancer,
    "AWS::EC2::NatGateway": _nat_gateway,
    "AWS::EC2::EIP": _elastic_ip,
    "AWS::EC2::VPCEndpoint": _endpoint,
    "AWS::ECS::Service": _fargate_service,
    "AWS::RDS::DBInstance": _database,
    "AWS::Backup::BackupVault": _backup_vault,
    "AWS::KMS::Key": _kms_key,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::WAFv2::WebACL": _web_acl,
    "AWS::CloudWatch::Dashboard": _dashboard,
    "AWS::CloudWatch::Alarm": _alarm,
    "AWS::CloudWatch::CompositeAlarm": _composite_alarm,
    "AWS::S3::Bucket": _bucket,
    "AWS::ECR::Repository": _repository,
    "AWS::CloudTrail::Trail": _trail,
    "AWS::Config::ConfigurationRecorder": _config_recorder,
    "AWS::Config::ConfigRule": _config_rule,
    "AWS::GuardDuty::Detector": _guardduty,
    "AWS::SecurityHub::Hub": _security_hub,
    "Custom::AWS": _custom_aws,
}


def _price_stacks(estimate: Estimate, stacks: list[Stack], make: Any) -> Estimate:
    for stack in sorted(stacks, key=lambda s: s.name):
        for logical_id, resource in sorted(stack.resources.items()):
            kind = str(resource.get("Type"))
            pricer = PRICERS.get(kind)
            if pricer is not None:
                try:
                    estimate.lines.extend(pricer(make(stack, logical_id, resource)))
                except PriceError as error:
                    estimate.unpriced.append(Unpriced(f"{stack.name}/{logical_id}", kind, str(error)))
            elif kind in NO_CHARGE:
                estimate.no_charge[kind] += 1
            else:
                where = path_of(resource) or f"{stack.name}/{logical_id}"
                estimate.unpriced.append(Unpriced(where, kind, "no pricer for this type: add one to ops/cost.py"))
    return estimate


def estimate_environment(stage: Stage, env: EnvironmentConfig, book: PriceBook, assumptions: Assumptions) -> Estimate:
    estimate = Estimate(scope=env.name, kind="environment", profile=env.profile.value)
    volumes = assumptions.profiles[env.profile.value]

    def make(stack: Stack, logical_id: str, resource: dict[str, Any]) -> _Context:
        return _Context(book, volumes, assumptions, estimate, stack, logical_id, resource, stage=stage, env=env)

    return _price_stacks(estimate, list(stage.stacks.values()), make)


def estimate_baseline(
    stack: Stack, account: list[tuple[EnvironmentConfig, Stage]], book: PriceBook, assumptions: Assumptions
) -> Estimate:
    estimate = Estimate(scope=stack.stack_id, kind="baseline", profile="account baseline")

    def make(stack_: Stack, logical_id: str, resource: dict[str, Any]) -> _Context:
        return _Context(
            book, assumptions.baseline, assumptions, estimate, stack_, logical_id, resource, account=account
        )

    return _price_stacks(estimate, [stack], make)


@dataclass(frozen=True)
class TargetCheck:
    """The lean dev environment with the full baseline of an account that holds only it."""

    environment: Estimate
    # The baseline priced for an account holding only this environment (its volumes scale with it).
    dedicated_baseline: Estimate
    # This environment's share of the shipped baseline, split evenly over the account's environments.
    shared_baseline_share: float
    shared_with: int

    @property
    def total(self) -> float:
        return round(self.environment.total + self.dedicated_baseline.total, 2)

    @property
    def met(self) -> bool:
        return self.total < TARGET_USD


@dataclass
class Report:
    book: PriceBook
    environments: list[Estimate]
    baselines: list[Estimate]
    # environment name -> baseline scope of its account
    baseline_of: dict[str, str]
    target: TargetCheck | None = None

    def baseline(self, environment: str) -> Estimate | None:
        scope = self.baseline_of.get(environment)
        return next((b for b in self.baselines if b.scope == scope), None)

    @property
    def total(self) -> float:
        return round(sum(e.total for e in self.environments) + sum(b.total for b in self.baselines), 2)


def build_report(assembly: CloudAssembly, selected: str | None = None) -> Report:
    environments = load_environments(selected)
    baselines = load_baselines(selected)
    regions = {e.region for e in environments} | {b.region for b in baselines}
    if len(regions) != 1:
        raise PriceError(f"environments span regions {sorted(regions)}: run one region at a time with --env")
    book = load_prices(regions.pop())
    assumptions = load_assumptions()
    report = Report(book=book, environments=[], baselines=[], baseline_of={})
    for env in environments:
        report.environments.append(estimate_environment(assembly.stage(env.name), env, book, assumptions))
    for baseline in baselines:
        stack = assembly.baselines.get(baseline.stack_id)
        if stack is None:
            raise AssemblyError(f"no {baseline.stack_id} stack in {assembly.outdir}: run `make synth` first")
        account = [(env, assembly.stage(env.name)) for env in baseline.environments]
        shared = estimate_baseline(stack, account, book, assumptions)
        report.baselines.append(shared)
        for env in baseline.environments:
            report.baseline_of[env.name] = baseline.stack_id
        target = next((e for e in report.environments if e.scope == TARGET_ENVIRONMENT), None)
        if target is not None and target.profile == "lean" and TARGET_ENVIRONMENT in report.baseline_of:
            [(env, stage)] = [(e, s) for e, s in account if e.name == TARGET_ENVIRONMENT]
            report.target = TargetCheck(
                environment=target,
                dedicated_baseline=estimate_baseline(stack, [(env, stage)], book, assumptions),
                shared_baseline_share=round(shared.total / len(account), 2),
                shared_with=len(account),
            )
    return report


# ---------------------------------------------------------------------------------------------
# Printing


def render(report: Report) -> str:
    book = report.book
    out = [
        f"Monthly list-price estimate, region {book.region}, USD, {_number(book.hours_per_month)} hours a month",
        f"prices as of {book.as_of.isoformat()} from {book.path.relative_to(REPO_ROOT)} ({book.source});",
        f"  {book.recheck}",
        f"assumed volumes from {ASSUMPTIONS_FILE.relative_to(REPO_ROOT)}",
        "",
    ]
    for estimate in [*report.environments, *report.baselines]:
        out += _render_estimate(estimate)
    out += _render_summary(report)
    return "\n".join(out) + "\n"


def _render_estimate(estimate: Estimate) -> list[str]:
    title = f"{estimate.scope} ({estimate.profile})"
    out = [f"== {title} ==", f"{'resource':<58} {'charge':<62} {'quantity':>12} {'unit price':>11} {'$/month':>9}"]
    for line in estimate.lines:
        out.append(
            f"{_fit(line.resource, 58):<58} {_fit(line.item, 62):<62} {_number(round(line.quantity, 3)):>12} "
            f"{line.unit_price:>11.5f} {line.monthly:>9.2f}"
        )
        detail = f"{line.unit} [{line.price_key}]" + (f"; assumes {line.assumption}" if line.assumption else "")
        out.append(f"{'':<58}   {detail}")
    out.append(f"{'total ' + estimate.scope:<{58 + 62 + 12 + 11 + 4}} {estimate.total:>9.2f}")
    if estimate.unpriced:
        out.append("unpriced (not in the total):")
        out += [f"  {u.resource_type} {u.resource}: {u.reason}" for u in sorted(estimate.unpriced, key=str)]
    if estimate.no_charge:
        counted = ", ".join(f"{kind} x{count}" for kind, count in sorted(estimate.no_charge.items()))
        out.append(f"no charge of their own: {counted}")
    out.append("")
    return out


def _render_summary(report: Report) -> list[str]:
    out = [
        f"== side by side (prices as of {report.book.as_of.isoformat()}) ==",
        f"{'environment':<12} {'profile':<11} {'environment':>12} {'+ its account baseline':>24}",
    ]
    for estimate in report.environments:
        baseline = report.baseline(estimate.scope)
        with_baseline = round(estimate.total + (baseline.total if baseline else 0.0), 2)
        out.append(f"{estimate.scope:<12} {estimate.profile:<11} {estimate.total:>12.2f} {with_baseline:>24.2f}")
    for profile in ("lean", "enterprise"):
        members = [e for e in report.environments if e.profile == profile]
        if members:
            names = ", ".join(e.scope for e in members)
            total = round(sum(e.total for e in members), 2)
            out.append(f"{profile + ' total':<24} {total:>12.2f}   ({names})")
    for baseline in report.baselines:
        out.append(f"{baseline.scope + ' (account baseline)':<24} {baseline.total:>12.2f}")
    out += [f"{'all':<24} {report.total:>12.2f}", ""]
    out += _render_target(report)
    return out


def _render_target(report: Report) -> list[str]:
    check = report.target
    if check is None:
        return []
    env, baseline = check.environment, check.dedicated_baseline
    out = [
        f"== target: lean {env.scope} with the full security baseline under USD {TARGET_USD:.0f} a month ==",
        f"{env.scope} {env.total:.2f} + the baseline of an account holding only {env.scope} {baseline.total:.2f}"
        f" = {check.total:.2f}: {'met' if check.met else 'NOT met'}"
        f" (list prices as of {report.book.as_of.isoformat()})",
        f"(sharing the shipped account with {check.shared_with - 1} other environments, {env.scope}'s share of"
        f" its baseline is {check.shared_baseline_share:.2f}: {env.total + check.shared_baseline_share:.2f} in all)",
    ]
    if check.met:
        return [*out, ""]
    out.append("what drives it:")
    for group, amount in drivers([*env.lines, *baseline.lines])[:6]:
        out.append(f"  {amount:>8.2f}  {group}")
    out.append("proposed cut (keeps every baseline control):")
    cuts = proposed_cuts(env, report.book)
    for description, saving in cuts:
        out.append(f"  -{saving:>7.2f}  {description}")
    saved = sum(saving for _, saving in cuts)
    out += [
        f"  = {check.total - saved:.2f} with a dedicated baseline,"
        f" {env.total - saved + check.shared_baseline_share:.2f} with the shared one",
        "",
    ]
    return out


def drivers(lines: list[Line]) -> list[tuple[str, float]]:
    """Cost grouped by what a person would switch off: the price key's service, largest first."""
    groups: dict[str, float] = {}
    for line in lines:
        group = _driver_group(line.price_key)
        groups[group] = groups.get(group, 0.0) + line.monthly
    return sorted(((g, round(a, 2)) for g, a in groups.items()), key=lambda item: (-item[1], item[0]))


def _driver_group(price_key: str) -> str:
    prefix = price_key.split("_", maxsplit=1)[0]
    return {
        "alb": "load balancer (hours and LCUs)",
        "public": "public IPv4 addresses",
        "rds": "database (instance, storage, backups)",
        "fargate": "Fargate tasks",
        "kms": "KMS keys",
        "logs": "CloudWatch Logs",
        "config": "AWS Config",
        "guardduty": "GuardDuty",
        "securityhub": "Security Hub",
        "inspector": "Inspector",
        "secret": "Secrets Manager",
        "s3": "S3",
        "ecr": "ECR",
        "waf": "WAF",
        "nat": "NAT gateways",
        "interface": "interface endpoints",
        "backup": "AWS Backup",
    }.get(prefix, prefix)


def proposed_cuts(estimate: Estimate, book: PriceBook) -> list[tuple[str, float]]:
    """Cuts that keep the security baseline whole, each with its saving computed from the lines."""
    running = [
        line for line in estimate.lines if line.price_key.startswith(("rds_postgres_hour", "fargate", "public_ipv4"))
    ]
    off_hours = 1 - WORKING_HOURS_PER_MONTH / book.hours_per_month
    # Stopping the database and scaling the service to zero outside working hours; the ALB stays.
    scheduled = [line for line in running if not line.resource.endswith(tuple(_alb_ids(estimate)))]
    saving = round(sum(line.monthly for line in scheduled) * off_hours, 2)
    return [
        (
            f"run {estimate.scope}'s database and tasks only in working hours ({WORKING_HOURS_PER_MONTH} of "
            f"{_number(book.hours_per_month)} hours: stop the instance, scale the service to 0)",
            saving,
        )
    ]


def _alb_ids(estimate: Estimate) -> list[str]:
    return [
        line.resource
        for line in estimate.lines
        if line.resource_type == "AWS::ElasticLoadBalancingV2::LoadBalancer" and line.price_key == "alb_hour"
    ] or ["<none>"]


def _number(value: float) -> str:
    return f"{value:,.3f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cdk-out", type=Path, default=REPO_ROOT / "cdk.out")
    parser.add_argument("--env", default=None, help="one environment (dev, qa, ...) or all; default: all")
    args = parser.parse_args(argv)
    try:
        report = build_report(load(args.cdk_out), None if args.env in (None, "") else args.env)
    except (AssemblyError, PriceError, ValueError) as error:
        print(f"cost: {error}", file=sys.stderr)
        return 2
    sys.stdout.write(render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
