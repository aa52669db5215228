"""The service tier, asserted exactly on every environment: SG chain, execution role, task, ALB, ECR, WAF."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config import load_environments
from tests.infra.test_invariants import output_reference_to

ENVIRONMENTS = load_environments()
STAGES = [e.stage_id for e in ENVIRONMENTS]
BY_STAGE = {e.stage_id: e for e in ENVIRONMENTS}
ENTERPRISE = [e.stage_id for e in ENVIRONMENTS if e.is_enterprise]
WITH_DOMAIN = [e.stage_id for e in ENVIRONMENTS if e.domain is not None]
WITHOUT_DOMAIN = [e.stage_id for e in ENVIRONMENTS if e.domain is None]

ALB_SG = "LoadBalancerSecurityGroupA28D6DD7"
TASK_SG = "WebServiceSecurityGroupE736A6BB"
DATABASE_SG_EXPORT = "DatabaseSecurityGroup5C91FDCB"
DATA_KEY = "EncryptionKeysDataKey0E746BC8"
DATABASE_SECRET = "DatabaseInstanceAA8A5FDEMasterUserSecretSecretArn"  # noqa: S105 - a logical id
REPOSITORY = "ContainerRegistryRepository366A01A0"
LOG_BUCKET = "LoadBalancerLogsBucket0997BC8F"


def group_id(logical_id: str) -> dict:
    return {"Fn::GetAtt": [logical_id, "GroupId"]}


def one(resources: dict[str, dict]) -> dict:
    [resource] = resources.values()
    return resource


def standalone_ingress(synthesized, stage: str) -> list[dict]:
    # Copies: the templates are shared by the whole session, and these tests pop keys from them.
    rules = synthesized.resources(stage, "Service", "AWS::EC2::SecurityGroupIngress").values()
    return [dict(rule["Properties"]) for rule in rules]


def container(synthesized, stage: str) -> dict:
    task = one(synthesized.resources(stage, "Service", "AWS::ECS::TaskDefinition"))
    [definition] = task["Properties"]["ContainerDefinitions"]
    return definition


# --- Security-group chain ------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_load_balancer_admits_only_its_listener_ports_from_the_internet(synthesized, stage: str) -> None:
    env = BY_STAGE[stage]
    groups = synthesized.resources(stage, "Service", "AWS::EC2::SecurityGroup")
    assert set(groups) == {ALB_SG, TASK_SG}
    expected = [
        {"CidrIp": "0.0.0.0/0", "Description": f"Allow from anyone on port {port}", "FromPort": port,
         "IpProtocol": "tcp", "ToPort": port}
        for port in ((443, 80) if env.domain is not None else (80,))
    ]  # fmt: skip
    assert groups[ALB_SG]["Properties"]["SecurityGroupIngress"] == expected
    # No egress of its own: allow_all_outbound is off, the only way out is the rule to the tasks.
    assert "SecurityGroupEgress" not in groups[ALB_SG]["Properties"]
    [egress] = [
        e["Properties"]
        for e in synthesized.resources(stage, "Service", "AWS::EC2::SecurityGroupEgress").values()
        if e["Properties"]["GroupId"] == group_id(ALB_SG)
    ]
    assert egress == {
        "Description": "Load balancer to target",
        "DestinationSecurityGroupId": group_id(TASK_SG),
        "FromPort": env.service.container_port,
        "GroupId": group_id(ALB_SG),
        "IpProtocol": "tcp",
        "ToPort": env.service.container_port,
    }


@pytest.mark.parametrize("stage", STAGES)
def test_tasks_admit_only_the_load_balancer_and_reach_only_https_and_the_database(synthesized, stage: str) -> None:
    env = BY_STAGE[stage]
    task_group = synthesized.resources(stage, "Service", "AWS::EC2::SecurityGroup")[TASK_SG]["Properties"]
    assert "SecurityGroupIngress" not in task_group
    assert task_group["SecurityGroupEgress"] == [
        {"CidrIp": "0.0.0.0/0", "Description": "HTTPS to AWS APIs", "FromPort": 443, "IpProtocol": "tcp", "ToPort": 443}
    ]
    ingress = standalone_ingress(synthesized, stage)
    task_ingress = [i for i in ingress if i["GroupId"] == group_id(TASK_SG)]
    assert task_ingress == [
        {
            "Description": "Load balancer to target",
            "FromPort": env.service.container_port,
            "GroupId": group_id(TASK_SG),
            "IpProtocol": "tcp",
            "SourceSecurityGroupId": group_id(ALB_SG),
            "ToPort": env.service.container_port,
        }
    ]
    [database_egress] = [
        dict(e["Properties"])
        for e in synthesized.resources(stage, "Service", "AWS::EC2::SecurityGroupEgress").values()
        if e["Properties"]["GroupId"] == group_id(TASK_SG)
    ]
    assert output_reference_to(database_egress.pop("DestinationSecurityGroupId"), DATABASE_SG_EXPORT)
    assert database_egress == {
        "Description": "PostgreSQL from the service tasks",
        "FromPort": 5432,
        "GroupId": group_id(TASK_SG),
        "IpProtocol": "tcp",
        "ToPort": 5432,
    }


@pytest.mark.parametrize("stage", STAGES)
def test_database_admits_only_the_tasks_on_5432_and_nothing_else_is_let_in(synthesized, stage: str) -> None:
    ingress = standalone_ingress(synthesized, stage)
    [database_ingress] = [i for i in ingress if i["GroupId"] != group_id(TASK_SG)]
    assert output_reference_to(database_ingress.pop("GroupId"), DATABASE_SG_EXPORT)
    assert database_ingress == {
        "Description": "PostgreSQL from the service tasks",
        "FromPort": 5432,
        "IpProtocol": "tcp",
        "SourceSecurityGroupId": group_id(TASK_SG),
        "ToPort": 5432,
    }
    # Two standalone ingress rules in the whole environment: ALB → tasks and tasks → database.
    assert len(ingress) == 2
    for stack in ("Keys", "Network", "Data"):
        assert synthesized.resources(stage, stack, "AWS::EC2::SecurityGroupIngress") == {}, stack


# --- Execution role -------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_execution_role_reads_exactly_the_database_secret_and_decrypts_with_exactly_its_key(
    synthesized, stage: str
) -> None:
    task = one(synthesized.resources(stage, "Service", "AWS::ECS::TaskDefinition"))
    [role_id] = task["Properties"]["ExecutionRoleArn"]["Fn::GetAtt"][:1]
    policies = [
        p["Properties"]
        for p in synthesized.resources(stage, "Service", "AWS::IAM::Policy").values()
        if p["Properties"]["Roles"] == [{"Ref": role_id}]
    ]
    [policy] = policies
    statements = policy["PolicyDocument"]["Statement"]
    secret_statements = [s for s in statements if "secretsmanager" in json.dumps(s["Action"])]
    assert len(secret_statements) == 1
    [secret_statement] = secret_statements
    assert sorted(secret_statement["Action"]) == ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
    assert secret_statement["Effect"] == "Allow"
    assert "Condition" not in secret_statement
    assert output_reference_to(secret_statement["Resource"], DATABASE_SECRET)

    kms_statements = [s for s in statements if "kms:" in json.dumps(s["Action"])]
    assert kms_statements == [
        {
            "Action": "kms:Decrypt",
            "Condition": {
                "StringEquals": {
                    "kms:ViaService": {"Fn::Join": ["", ["secretsmanager.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
                }
            },
            "Effect": "Allow",
            "Resource": kms_statements[0]["Resource"],
            "Sid": "DecryptDatabaseSecret",
        }
    ]
    assert output_reference_to(kms_statements[0]["Resource"], DATA_KEY)
    # The key that protects the secret is that same data key (MasterUserSecret.KmsKeyId).
    instance = synthesized.resources(stage, "Data", "AWS::RDS::DBInstance")["DatabaseInstanceAA8A5FDE"]
    assert output_reference_to(instance["Properties"]["MasterUserSecret"]["KmsKeyId"], DATA_KEY)
    # Nothing else on the role is a wildcard but the token call, which takes no resource.
    wildcards = [s["Action"] for s in statements if s["Resource"] == "*"]
    assert wildcards == ["ecr:GetAuthorizationToken"]


@pytest.mark.parametrize("stage", STAGES)
def test_database_credentials_are_secrets_never_plain_variables(synthesized, stage: str) -> None:
    definition = container(synthesized, stage)
    secrets = {s["Name"]: s["ValueFrom"]["Fn::Join"][1] for s in definition["Secrets"]}
    assert set(secrets) == {"DB_USERNAME", "DB_PASSWORD"}
    assert secrets["DB_USERNAME"][1] == ":username::"
    assert secrets["DB_PASSWORD"][1] == ":password::"
    for parts in secrets.values():
        assert output_reference_to(parts[0], DATABASE_SECRET)
    plain = {e["Name"] for e in definition["Environment"]}
    assert plain == {"DB_HOST", "DB_PORT", "DB_NAME", "DB_SSLMODE", "PORT"}
    assert {"Name": "DB_SSLMODE", "Value": "require"} in definition["Environment"]


# --- Task definition -----------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_task_runs_amd64_non_root_read_only_with_scratch_only_at_tmp(synthesized, stage: str) -> None:
    env = BY_STAGE[stage]
    task = one(synthesized.resources(stage, "Service", "AWS::ECS::TaskDefinition"))["Properties"]
    assert task["RuntimePlatform"] == {"CpuArchitecture": "X86_64", "OperatingSystemFamily": "LINUX"}
    assert task["RequiresCompatibilities"] == ["FARGATE"]
    assert (task["Cpu"], task["Memory"]) == (str(env.service.cpu), str(env.service.memory_mib))
    assert task["Volumes"] == [{"Name": "tmp"}]
    definition = container(synthesized, stage)
    assert definition["ReadonlyRootFilesystem"] is True
    assert definition["User"] == "10001:10001"
    assert definition["Privileged"] is False
    scratch = "/tmp"  # noqa: S108 - the container's mount point, not a host temp file
    assert definition["MountPoints"] == [{"ContainerPath": scratch, "ReadOnly": False, "SourceVolume": "tmp"}]
    assert definition["HealthCheck"] == {
        "Command": ["CMD", "python", "-m", "polls.healthcheck"],
        "Interval": 30,
        "Retries": 3,
        "StartPeriod": 30,
        "Timeout": 5,
    }
    assert definition["PortMappings"] == [{"ContainerPort": env.service.container_port, "Protocol": "tcp"}]
    [repository_uri, tag] = definition["Image"]["Fn::Join"][1]
    assert tag == ":bootstrap"
    assert output_reference_to(repository_uri, REPOSITORY)


@pytest.mark.parametrize("stage", STAGES)
def test_container_logs_to_an_encrypted_log_group_with_the_environments_retention(synthesized, stage: str) -> None:
    env = BY_STAGE[stage]
    log_groups = synthesized.resources(stage, "Service", "AWS::Logs::LogGroup")
    definition = container(synthesized, stage)
    assert definition["LogConfiguration"]["LogDriver"] == "awslogs"
    group_ref = definition["LogConfiguration"]["Options"]["awslogs-group"]["Ref"]
    assert len(log_groups) == 1
    for logical_id, group in log_groups.items():
        assert group["Properties"]["RetentionInDays"] == env.log_retention_days, logical_id
        assert output_reference_to(group["Properties"]["KmsKeyId"], "EncryptionKeysLogsKeyFC5E9668"), logical_id
        assert group["DeletionPolicy"] == ("Retain" if env.is_enterprise else "Delete"), logical_id
    assert group_ref in log_groups


# --- Service -------------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_service_rolls_back_failed_deployments_and_keeps_capacity(synthesized, stage: str) -> None:
    env = BY_STAGE[stage]
    service = one(synthesized.resources(stage, "Service", "AWS::ECS::Service"))["Properties"]
    deployment = service["DeploymentConfiguration"]
    assert deployment["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert (deployment["MinimumHealthyPercent"], deployment["MaximumPercent"]) == (100, 200)
    assert service["HealthCheckGracePeriodSeconds"] == 60
    assert service["PlatformVersion"] == "LATEST"
    assert service["EnableExecuteCommand"] is env.service.enable_ecs_exec
    assert service["DesiredCount"] == env.service.desired_count
    cluster = one(synthesized.resources(stage, "Service", "AWS::ECS::Cluster"))["Properties"]
    assert cluster["ClusterSettings"] == [{"Name": "containerInsights", "Value": "enhanced"}]


@pytest.mark.parametrize("stage", STAGES)
def test_capacity_provider_strategy_follows_the_profile(synthesized, stage: str) -> None:
    env = BY_STAGE[stage]
    service = one(synthesized.resources(stage, "Service", "AWS::ECS::Service"))["Properties"]
    if env.is_enterprise:
        assert service["CapacityProviderStrategy"] == [
            {"Base": env.service.on_demand_base, "CapacityProvider": "FARGATE", "Weight": 0},
            {"CapacityProvider": "FARGATE_SPOT", "Weight": 1},
        ]
        assert env.service.on_demand_base >= 1
    else:
        assert service["CapacityProviderStrategy"] == [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}]


@pytest.mark.parametrize("stage", STAGES)
def test_tasks_are_public_only_in_lean_and_private_in_enterprise(synthesized, stage: str) -> None:
    env = BY_STAGE[stage]
    network = one(synthesized.resources(stage, "Service", "AWS::ECS::Service"))["Properties"]["NetworkConfiguration"]
    vpc = network["AwsvpcConfiguration"]
    assert vpc["AssignPublicIp"] == ("DISABLED" if env.is_enterprise else "ENABLED")
    assert vpc["SecurityGroups"] == [group_id(TASK_SG)]
    tier = "ApplicationSubnet" if env.is_enterprise else "PublicSubnet"
    assert len(vpc["Subnets"]) == env.network.max_azs
    assert all(tier in str(subnet) for subnet in vpc["Subnets"])


@pytest.mark.parametrize("stage", STAGES)
def test_autoscaling_tracks_cpu_and_requests_per_target_within_configured_bounds(synthesized, stage: str) -> None:
    env = BY_STAGE[stage]
    target = one(synthesized.resources(stage, "Service", "AWS::ApplicationAutoScaling::ScalableTarget"))
    assert (target["Properties"]["MinCapacity"], target["Properties"]["MaxCapacity"]) == (
        env.service.min_count,
        env.service.max_count,
    )
    policies = synthesized.resources(stage, "Service", "AWS::ApplicationAutoScaling::ScalingPolicy").values()
    metrics = sorted(
        p["Properties"]["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"][
            "PredefinedMetricType"
        ]
        for p in policies
    )
    assert metrics == ["ALBRequestCountPerTarget", "ECSServiceAverageCPUUtilization"]


# --- Load balancer -------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_load_balancer_is_hardened_logged_and_protected_in_enterprise(synthesized, stage: str) -> None:
    env = BY_STAGE[stage]
    alb = one(synthesized.resources(stage, "Service", "AWS::ElasticLoadBalancingV2::LoadBalancer"))["Properties"]
    assert alb["Scheme"] == "internet-facing"
    assert len(alb["Subnets"]) == env.network.max_azs >= 2
    assert all("PublicSubnet" in str(subnet) for subnet in alb["Subnets"])
    assert alb["SecurityGroups"] == [group_id(ALB_SG)]
    attributes = {a["Key"]: a["Value"] for a in alb["LoadBalancerAttributes"]}
    assert output_reference_to(attributes.pop("access_logs.s3.bucket"), LOG_BUCKET)
    assert attributes == {
        "deletion_protection.enabled": "true" if env.is_enterprise else "false",
        "routing.http.drop_invalid_header_fields.enabled": "true",
        "routing.http.desync_mitigation_mode": "defensive",
        "access_logs.s3.enabled": "true",
        "access_logs.s3.prefix": "alb",
    }
    [group] = synthesized.resources(stage, "Service", "AWS::ElasticLoadBalancingV2::TargetGroup").values()
    assert group["Properties"]["HealthCheckPath"] == env.service.health_check_path == "/healthz"
    assert group["Properties"]["TargetType"] == "ip"


@pytest.mark.parametrize("stage", STAGES)
def test_access_log_bucket_is_private_tls_only_versioned_and_expires_with_retention(synthesized, stage: str) -> None:
    env = BY_STAGE[stage]
    bucket = synthesized.resources(stage, "Data", "AWS::S3::Bucket")[LOG_BUCKET]
    props = bucket["Properties"]
    assert bucket["DeletionPolicy"] == bucket["UpdateReplacePolicy"] == "Retain"
    # ELB delivers access logs only to SSE-S3 buckets.
    assert props["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
    }
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    [rule] = props["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == env.log_retention_days
    [policy] = synthesized.resources(stage, "Data", "AWS::S3::BucketPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    denials = [s.get("Condition") for s in statements if s["Effect"] == "Deny"]
    assert {"Bool": {"aws:SecureTransport": "false"}} in denials
    [delivery] = [s for s in statements if s["Effect"] == "Allow"]
    assert delivery["Action"] == "s3:PutObject"
    assert delivery["Resource"]["Fn::Join"][1][1:] == ["/alb/AWSLogs/", {"Ref": "AWS::AccountId"}, "/*"]


@pytest.mark.parametrize("stage", WITH_DOMAIN)
def test_https_with_tls13_and_port_80_only_redirects(synthesized, stage: str) -> None:
    env = BY_STAGE[stage]
    assert env.domain is not None
    listeners = {
        listener["Properties"]["Port"]: listener["Properties"]
        for listener in synthesized.resources(stage, "Service", "AWS::ElasticLoadBalancingV2::Listener").values()
    }
    assert set(listeners) == {80, 443}
    https = listeners[443]
    assert https["Protocol"] == "HTTPS"
    assert https["SslPolicy"].startswith("ELBSecurityPolicy-TLS13-")
    assert len(https["Certificates"]) == 1
    assert [a["Type"] for a in https["DefaultActions"]] == ["forward"]
    assert listeners[80]["Protocol"] == "HTTP"
    assert listeners[80]["DefaultActions"] == [
        {"RedirectConfig": {"Port": "443", "Protocol": "HTTPS", "StatusCode": "HTTP_301"}, "Type": "redirect"}
    ]
    if env.domain.certificate_arn is None:
        [certificate] = synthesized.resources(stage, "Service", "AWS::CertificateManager::Certificate").values()
        assert certificate["Properties"]["DomainName"] == env.domain.domain_name
        assert certificate["Properties"]["ValidationMethod"] == "DNS"
        assert https["Certificates"] == [{"CertificateArn": {"Ref": "LoadBalancerCertificate7ED3CCBA"}}]
    if env.domain.hosted_zone_id is not None:
        [record] = synthesized.resources(stage, "Service", "AWS::Route53::RecordSet").values()
        assert record["Properties"]["HostedZoneId"] == env.domain.hosted_zone_id
        assert record["Properties"]["Name"] == f"{env.domain.domain_name}."
        assert record["Properties"]["Type"] == "A"
        assert "LoadBalancerAlb" in str(record["Properties"]["AliasTarget"])


@pytest.mark.parametrize("stage", WITHOUT_DOMAIN)
def test_without_a_domain_lean_serves_http_only(synthesized, stage: str) -> None:
    assert not BY_STAGE[stage].is_enterprise
    [listener] = synthesized.resources(stage, "Service", "AWS::ElasticLoadBalancingV2::Listener").values()
    assert (listener["Properties"]["Port"], listener["Properties"]["Protocol"]) == (80, "HTTP")
    assert synthesized.resources(stage, "Service", "AWS::CertificateManager::Certificate") == {}


@pytest.mark.parametrize("stage", STAGES)
def test_waf_guards_the_load_balancer_when_enabled_and_always_in_enterprise(synthesized, stage: str) -> None:
    env = BY_STAGE[stage]
    associations = synthesized.resources(stage, "Service", "AWS::WAFv2::WebACLAssociation")
    if env.is_enterprise:
        assert env.service.waf_enabled
    if not env.service.waf_enabled:
        assert associations == {}
        return
    [acl_id] = synthesized.resources(stage, "Service", "AWS::WAFv2::WebACL")
    acl = synthesized.resources(stage, "Service", "AWS::WAFv2::WebACL")[acl_id]["Properties"]
    assert one(associations)["Properties"] == {
        "ResourceArn": {"Ref": "LoadBalancerAlb240B1141"},
        "WebACLArn": {"Fn::GetAtt": [acl_id, "Arn"]},
    }
    assert acl["Scope"] == "REGIONAL"
    assert acl["DefaultAction"] == {"Allow": {}}
    managed = [
        r["Statement"]["ManagedRuleGroupStatement"]["Name"]
        for r in acl["Rules"]
        if "ManagedRuleGroupStatement" in r["Statement"]
    ]
    assert managed == [
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    ]
    [rate] = [r for r in acl["Rules"] if "RateBasedStatement" in r["Statement"]]
    assert rate["Action"] == {"Block": {}}
    assert rate["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
    [logging] = synthesized.resources(stage, "Service", "AWS::WAFv2::LoggingConfiguration").values()
    assert logging["Properties"]["ResourceArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    [destination] = logging["Properties"]["LogDestinationConfigs"]
    assert output_reference_to(destination["Fn::Join"][1][-1], "WebFirewallLogsLogGroup")
    [waf_log_group] = [
        group
        for logical_id, group in synthesized.resources(stage, "Data", "AWS::Logs::LogGroup").items()
        if logical_id.startswith("WebFirewallLogsLogGroup")
    ]
    assert waf_log_group["Properties"]["LogGroupName"] == f"aws-waf-logs-{env.name}"


# --- Container registry --------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_repository_is_immutable_scanned_encrypted_retained_and_pruned(synthesized, stage: str) -> None:
    env = BY_STAGE[stage]
    repository = synthesized.resources(stage, "Data", "AWS::ECR::Repository")[REPOSITORY]
    assert repository["DeletionPolicy"] == repository["UpdateReplacePolicy"] == "Retain"
    props = repository["Properties"]
    assert props["ImageTagMutability"] == "IMMUTABLE"
    assert props["ImageScanningConfiguration"] == {"ScanOnPush": True}
    assert props["EncryptionConfiguration"]["EncryptionType"] == "KMS"
    assert output_reference_to(props["EncryptionConfiguration"]["KmsKey"], DATA_KEY)
    rules = json.loads(props["LifecyclePolicy"]["LifecyclePolicyText"])["rules"]
    assert [(r["rulePriority"], r["selection"], r["action"]) for r in rules] == [
        (
            1,
            {"tagStatus": "untagged", "countType": "sinceImagePushed", "countNumber": 1, "countUnit": "days"},
            {"type": "expire"},
        ),
        (
            2,
            {
                "tagStatus": "tagged",
                "tagPatternList": ["*"],
                "countType": "imageCountMoreThan",
                "countNumber": env.service.ecr_release_images_kept,
            },
            {"type": "expire"},
        ),
    ]


@pytest.mark.parametrize("stage", STAGES)
def test_execution_role_pulls_from_exactly_this_environments_repository(synthesized, stage: str) -> None:
    [policy] = [
        p for p in synthesized.resources(stage, "Service", "AWS::IAM::Policy").values() if "ecr:" in json.dumps(p)
    ]
    [pull] = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if "ecr:BatchGetImage" in s["Action"]]
    assert sorted(pull["Action"]) == [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
    ]
    assert output_reference_to(pull["Resource"], REPOSITORY)


def test_an_image_tag_that_ecr_would_refuse_fails_before_any_construct_is_built() -> None:
    import aws_cdk as cdk

    from config import ConfigError
    from stacks.platform import build_platform

    app = cdk.App()
    with pytest.raises(ConfigError, match="context 'image_tag' = 'bad tag'"):
        build_platform(app, load_environments("dev"), image_tag="bad tag")
    assert app.node.children == []


@pytest.mark.parametrize("stage", STAGES)
def test_ecs_exec_is_off_by_default(synthesized, stage: str) -> None:
    [service] = synthesized.resources(stage, "Service", "AWS::ECS::Service").values()
    [cluster] = synthesized.resources(stage, "Service", "AWS::ECS::Cluster").values()
    assert service["Properties"]["EnableExecuteCommand"] is False
    assert "Configuration" not in cluster["Properties"]


def test_ecs_exec_enabled_in_config_passes_the_gate_with_encrypted_logged_sessions(tmp_path) -> None:
    import shutil

    from config.baselines import load_baselines
    from stacks.platform import build_platform
    from tests.conftest import REPO_ROOT, new_app

    # Given dev with ECS Exec enabled in its config
    config_dir = tmp_path / "config"
    shutil.copytree(REPO_ROOT / "config", config_dir, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    with (config_dir / "dev.toml").open("a") as dev:
        dev.write("\n[service]\nenable_ecs_exec = true\n")

    # When it is synthesized with every rule pack (the conditional acknowledgement applies)
    app = new_app(tmp_path / "cdk.out")
    build_platform(app, load_environments("dev", config_dir), baselines=load_baselines("dev", config_dir))
    assembly = app.synth()

    # Then the service allows ECS Exec, and every session is encrypted and logged to an encrypted group
    stack = assembly.get_nested_assembly("assembly-Dev").get_stack_by_name("Dev-Service")
    resources = json.loads(Path(stack.template_full_path).read_text())["Resources"]
    [service] = [r for r in resources.values() if r["Type"] == "AWS::ECS::Service"]
    [cluster] = [r for r in resources.values() if r["Type"] == "AWS::ECS::Cluster"]
    assert service["Properties"]["EnableExecuteCommand"] is True
    exec_config = cluster["Properties"]["Configuration"]["ExecuteCommandConfiguration"]
    assert exec_config["Logging"] == "OVERRIDE"
    assert exec_config["LogConfiguration"]["CloudWatchEncryptionEnabled"] is True
    assert output_reference_to(exec_config["KmsKeyId"], "EncryptionKeysLogsKeyFC5E9668")
    log_group_id = exec_config["LogConfiguration"]["CloudWatchLogGroupName"]["Ref"]
    assert output_reference_to(resources[log_group_id]["Properties"]["KmsKeyId"], "EncryptionKeysLogsKeyFC5E9668")
