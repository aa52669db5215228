"""Fine-grained invariants of the network and data tiers, asserted exactly on every environment."""

from __future__ import annotations

import pytest

from config import load_environments

ENVIRONMENTS = load_environments()
STAGES = [e.stage_id for e in ENVIRONMENTS]
BY_STAGE = {e.stage_id: e for e in ENVIRONMENTS}

# Logical ids of stateful resources. A refactor that changes one would replace the resource (a new,
# empty database; a new key that cannot read old backups): it must fail here, in review.
PINNED_LOGICAL_IDS = {
    ("Keys", "AWS::KMS::Key"): {"EncryptionKeysDataKey0E746BC8", "EncryptionKeysLogsKeyFC5E9668"},
    ("Data", "AWS::RDS::DBInstance"): {"DatabaseInstanceAA8A5FDE"},
    ("Data", "AWS::RDS::DBParameterGroup"): {"DatabaseParametersB8AC9B07"},
    ("Data", "AWS::ECR::Repository"): {"ContainerRegistryRepository366A01A0"},
    ("Data", "AWS::S3::Bucket"): {"LoadBalancerLogsBucket0997BC8F"},
}


def output_reference_to(value: dict, logical_id_prefix: str) -> bool:
    """Whether `value` is a cross-stack reference to an output of the resource `logical_id_prefix`."""
    reference = value.get("Fn::GetStackOutput") or value.get("Fn::ImportValue")
    return reference is not None and logical_id_prefix in str(reference)


@pytest.mark.parametrize("stage", STAGES)
def test_stateful_logical_ids_are_pinned(synthesized, stage: str) -> None:
    for (stack, resource_type), logical_ids in PINNED_LOGICAL_IDS.items():
        assert set(synthesized.resources(stage, stack, resource_type)) == logical_ids, (stage, stack)


@pytest.mark.parametrize("stage", STAGES)
def test_keys_rotate_and_are_retained(synthesized, stage: str) -> None:
    keys = synthesized.resources(stage, "Keys", "AWS::KMS::Key")
    assert len(keys) == 2
    for key in keys.values():
        assert key["Properties"]["EnableKeyRotation"] is True
        assert key["DeletionPolicy"] == "Retain"
        assert key["UpdateReplacePolicy"] == "Retain"


@pytest.mark.parametrize("stage", STAGES)
def test_logs_key_lets_only_this_accounts_log_groups_use_it(synthesized, stage: str) -> None:
    key = synthesized.resources(stage, "Keys", "AWS::KMS::Key")["EncryptionKeysLogsKeyFC5E9668"]
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    [logs_statement] = [s for s in statements if s.get("Sid") == "AllowCloudWatchLogsOfThisAccount"]
    assert logs_statement["Principal"] == {
        "Service": {"Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
    }
    condition = logs_statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert "log-group:*" in str(condition)
    assert {"Ref": "AWS::AccountId"} in condition["Fn::Join"][1]


@pytest.mark.parametrize("stage", STAGES)
def test_database_is_encrypted_private_forced_ssl_and_iam_authenticated(synthesized, stage: str) -> None:
    env = BY_STAGE[stage]
    instance = synthesized.resources(stage, "Data", "AWS::RDS::DBInstance")["DatabaseInstanceAA8A5FDE"]
    props = instance["Properties"]
    assert props["StorageEncrypted"] is True
    assert output_reference_to(props["KmsKeyId"], "EncryptionKeysDataKey0E746BC8")
    assert props["PubliclyAccessible"] is False
    assert props["EnableIAMDatabaseAuthentication"] is True
    assert props["AutoMinorVersionUpgrade"] is True
    assert props["CopyTagsToSnapshot"] is True
    assert props["EnableCloudwatchLogsExports"] == ["postgresql", "upgrade"]
    assert props["BackupRetentionPeriod"] == env.database.backup_retention_days
    assert props["BackupRetentionPeriod"] >= (14 if env.name == "prod" else 7)
    assert props["MasterUsername"] == env.database.admin_username != "postgres"
    assert props["Engine"] == "postgres"
    assert props["EngineVersion"].split(".")[0] in {"15", "16", "17"}
    # RDS-managed master credentials: RDS owns the secret, encrypts it with our key, rotates it and
    # applies each new password at once; no password ever appears in the template.
    assert props["ManageMasterUserPassword"] is True
    assert "MasterUserPassword" not in props
    assert output_reference_to(props["MasterUserSecret"]["KmsKeyId"], "EncryptionKeysDataKey0E746BC8")
    subnet_group = synthesized.resources(stage, "Data", "AWS::RDS::DBSubnetGroup")
    [group] = subnet_group.values()
    assert all("DataSubnet" in str(subnet) for subnet in group["Properties"]["SubnetIds"])

    parameters = synthesized.resources(stage, "Data", "AWS::RDS::DBParameterGroup")["DatabaseParametersB8AC9B07"]
    assert parameters["Properties"]["Parameters"]["rds.force_ssl"] == "1"


@pytest.mark.parametrize("stage", STAGES)
def test_database_survives_deletion_and_replacement(synthesized, stage: str) -> None:
    env = BY_STAGE[stage]
    instance = synthesized.resources(stage, "Data", "AWS::RDS::DBInstance")["DatabaseInstanceAA8A5FDE"]
    assert instance["DeletionPolicy"] == "Snapshot"
    assert instance["UpdateReplacePolicy"] == "Snapshot"
    props = instance["Properties"]
    assert props["DeletionProtection"] is env.is_enterprise
    assert props["MultiAZ"] is env.database.multi_az
    assert props["MultiAZ"] or not env.is_enterprise
    assert props["EnablePerformanceInsights"] is env.is_enterprise
    if env.is_enterprise:
        assert output_reference_to(props["PerformanceInsightsKMSKeyId"], "EncryptionKeysDataKey0E746BC8")
        [vault] = synthesized.resources(stage, "Data", "AWS::Backup::BackupVault").values()
        assert vault["DeletionPolicy"] == "Retain"
        assert output_reference_to(vault["Properties"]["EncryptionKeyArn"], "EncryptionKeysDataKey0E746BC8")


@pytest.mark.parametrize("stage", STAGES)
def test_stateful_stacks_have_termination_protection_in_enterprise(synthesized, stage: str) -> None:
    env = BY_STAGE[stage]
    for stack in ("Keys", "Data"):
        assert synthesized.termination_protection[(stage, stack)] is env.is_enterprise, stack
    assert synthesized.termination_protection[(stage, "Network")] is False


@pytest.mark.parametrize("stage", STAGES)
def test_every_log_group_is_encrypted_with_the_logs_key_and_keeps_configured_retention(synthesized, stage: str) -> None:
    env = BY_STAGE[stage]
    log_groups = {
        **synthesized.resources(stage, "Network", "AWS::Logs::LogGroup"),
        **synthesized.resources(stage, "Data", "AWS::Logs::LogGroup"),
    }
    # Flow logs, the database's two exports and, where WAF is on, its request logs.
    assert len(log_groups) == 3 + env.service.waf_enabled
    for logical_id, group in log_groups.items():
        props = group["Properties"]
        assert props["RetentionInDays"] == env.log_retention_days, logical_id
        key = props["KmsKeyId"]
        assert output_reference_to(key, "EncryptionKeysLogsKeyFC5E9668"), logical_id
        expected_policy = "Retain" if env.is_enterprise else "Delete"
        assert group["DeletionPolicy"] == expected_policy, logical_id


@pytest.mark.parametrize("stage", STAGES)
def test_flow_logs_capture_all_traffic_of_the_vpc(synthesized, stage: str) -> None:
    [vpc_id] = synthesized.resources(stage, "Network", "AWS::EC2::VPC")
    [flow_log] = synthesized.resources(stage, "Network", "AWS::EC2::FlowLog").values()
    props = flow_log["Properties"]
    assert props["ResourceId"] == {"Ref": vpc_id}
    assert props["ResourceType"] == "VPC"
    assert props["TrafficType"] == "ALL"
    assert props["LogDestinationType"] == "cloud-watch-logs"
    assert props["LogGroupName"] == {"Ref": "NetworkFlowLogGroup4F8CEEEF"}


@pytest.mark.parametrize("stage", STAGES)
def test_default_security_group_is_emptied(synthesized, stage: str) -> None:
    [vpc_id] = synthesized.resources(stage, "Network", "AWS::EC2::VPC")
    [restrict] = synthesized.resources(stage, "Network", "Custom::VpcRestrictDefaultSG").values()
    assert restrict["Properties"]["DefaultSecurityGroupId"] == {"Fn::GetAtt": [vpc_id, "DefaultSecurityGroup"]}


@pytest.mark.parametrize("stage", STAGES)
def test_subnet_tiers_nat_and_endpoints_follow_the_profile(synthesized, stage: str) -> None:
    env = BY_STAGE[stage]
    subnets = synthesized.resources(stage, "Network", "AWS::EC2::Subnet")
    tiers = {logical_id.removeprefix("NetworkVpc").split("Subnet")[0].rstrip("0123456789") for logical_id in subnets}
    nat_gateways = synthesized.resources(stage, "Network", "AWS::EC2::NatGateway")
    endpoints = synthesized.resources(stage, "Network", "AWS::EC2::VPCEndpoint")
    assert len(subnets) == len(tiers) * env.network.max_azs >= 2 * len(tiers)
    assert all(s["Properties"]["MapPublicIpOnLaunch"] is False for s in subnets.values() if "Public" in str(s))
    if env.is_enterprise:
        assert tiers == {"Public", "Application", "Data"}
        assert len(nat_gateways) == env.network.max_azs
        services = {str(e["Properties"]["ServiceName"]) for e in endpoints.values()}
        for service in ("ecr.api", "ecr.dkr", "logs", "secretsmanager", "s3"):
            assert any(f".{service}" in s for s in services), service
    else:
        assert tiers == {"Public", "Data"}
        assert nat_gateways == {}
        assert endpoints == {}


@pytest.mark.parametrize("stage", [e.stage_id for e in ENVIRONMENTS if e.is_enterprise])
def test_endpoint_security_group_admits_https_from_the_vpc_only(synthesized, stage: str) -> None:
    env = BY_STAGE[stage]
    [group] = synthesized.resources(stage, "Network", "AWS::EC2::SecurityGroup").values()
    assert group["Properties"]["SecurityGroupIngress"] == [
        {
            "CidrIp": env.network.vpc_cidr,
            "Description": "HTTPS from the VPC",
            "FromPort": 443,
            "IpProtocol": "tcp",
            "ToPort": 443,
        }
    ]


@pytest.mark.parametrize("stage", STAGES)
def test_database_security_group_admits_only_the_service_tasks(synthesized, stage: str) -> None:
    [group] = synthesized.resources(stage, "Data", "AWS::EC2::SecurityGroup").values()
    assert "SecurityGroupIngress" not in group["Properties"]
    # allow_all_outbound is off: the CDK's placeholder rule that matches no traffic, nothing else.
    assert group["Properties"]["SecurityGroupEgress"] == [
        {"CidrIp": "255.255.255.255/32", "Description": "Disallow all traffic", "FromPort": 252, "IpProtocol": "icmp",
         "ToPort": 86}
    ]  # fmt: skip
    # The one rule lives in the Service stack (the Data stack never refers to it, so no cycle).
    assert synthesized.resources(stage, "Data", "AWS::EC2::SecurityGroupIngress") == {}
    database_rules = [
        rule["Properties"]
        for rule in synthesized.resources(stage, "Service", "AWS::EC2::SecurityGroupIngress").values()
        if output_reference_to(rule["Properties"]["GroupId"], "DatabaseSecurityGroup5C91FDCB")
    ]
    assert database_rules == [
        {
            "Description": "PostgreSQL from the service tasks",
            "FromPort": 5432,
            "GroupId": database_rules[0]["GroupId"],
            "IpProtocol": "tcp",
            "SourceSecurityGroupId": {"Fn::GetAtt": ["WebServiceSecurityGroupE736A6BB", "GroupId"]},
            "ToPort": 5432,
        }
    ]
