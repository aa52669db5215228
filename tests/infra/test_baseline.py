"""The account security baseline: one stack per account, its detectors, trail, alerts and providers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from config import ConfigError, load_environments
from config.baselines import load_baselines
from config.loader import CONFIG_DIR
from tests.conftest import new_app
from tests.infra.test_snapshots import masked

BASELINE = "Baseline"
REGION = "eu-central-1"
AUDIT_KEY = "KeysAuditKey155B718A"
ALERTS_KEY = "KeysAlertsKeyA195AD70"
TRAIL_BUCKET = "AuditStorageTrailBucket527391A8"
CONFIG_BUCKET = "AuditStorageConfigBucketF7431C7D"
ACCESS_LOG_BUCKET = "AuditStorageAccessLogBucketB34A300E"
TRAIL_LOG_GROUP = "AuditTrailLogGroup28BB9333"

# Logical ids of the baseline's stateful resources. A refactor that changes one would replace the
# audit record (a new, empty trail bucket; a new key that cannot read old logs): it must fail here.
PINNED_LOGICAL_IDS = {
    "AWS::KMS::Key": {AUDIT_KEY, ALERTS_KEY},
    "AWS::S3::Bucket": {TRAIL_BUCKET, CONFIG_BUCKET, ACCESS_LOG_BUCKET},
    "AWS::Logs::LogGroup": {TRAIL_LOG_GROUP, "InspectorEnablerLogGroupA7E057AC"},
    "AWS::CloudTrail::Trail": {"AuditTrail49D399D8"},
}


def resources(synthesized, resource_type: str) -> dict[str, dict]:
    return synthesized.baseline_resources(BASELINE, resource_type)


def only(synthesized, resource_type: str) -> dict:
    [resource] = resources(synthesized, resource_type).values()
    return resource["Properties"]


def rule(synthesized, logical_id_prefix: str) -> dict:
    [props] = [
        r["Properties"]
        for logical_id, r in resources(synthesized, "AWS::Events::Rule").items()
        if logical_id.startswith(logical_id_prefix)
    ]
    return props


# --- One baseline per account -------------------------------------------------------------------


def test_shipped_config_synthesizes_one_baseline_for_the_deploying_account(synthesized) -> None:
    assert set(synthesized.baseline_templates) == {BASELINE}
    assert synthesized.baseline_termination_protection == {BASELINE: True}
    [baseline] = synthesized.platform.baselines
    assert baseline.region == REGION
    assert [e.name for e in baseline.baseline.environments] == ["dev", "qa", "staging", "uat", "prod"]


def test_stateful_logical_ids_are_pinned(synthesized) -> None:
    for resource_type, logical_ids in PINNED_LOGICAL_IDS.items():
        assert set(resources(synthesized, resource_type)) == logical_ids, resource_type


def test_stateful_resources_are_retained(synthesized) -> None:
    for resource_type, logical_ids in PINNED_LOGICAL_IDS.items():
        if resource_type == "AWS::CloudTrail::Trail":
            continue
        for logical_id in logical_ids:
            resource = resources(synthesized, resource_type)[logical_id]
            assert resource["DeletionPolicy"] == "Retain", logical_id
            assert resource["UpdateReplacePolicy"] == "Retain", logical_id


# --- Security Hub -------------------------------------------------------------------------------


def test_security_hub_enables_exactly_foundational_best_practices_and_cis(synthesized) -> None:
    hub_id, hub = next(iter(resources(synthesized, "AWS::SecurityHub::Hub").items()))
    assert hub["Properties"]["EnableDefaultStandards"] is False
    assert hub["Properties"]["ControlFindingGenerator"] == "SECURITY_CONTROL"
    standards = resources(synthesized, "AWS::SecurityHub::Standard").values()
    assert {s["Properties"]["StandardsArn"] for s in standards} == {
        f"arn:aws:securityhub:{REGION}::standards/aws-foundational-security-best-practices/v/1.0.0",
        f"arn:aws:securityhub:{REGION}::standards/cis-aws-foundations-benchmark/v/3.0.0",
    }
    for standard in standards:
        assert standard["DependsOn"] == [hub_id]


def test_insights_select_pipeline_findings_by_repository_and_by_environment(synthesized) -> None:
    insights = [r["Properties"] for r in resources(synthesized, "AWS::SecurityHub::Insight").values()]
    prefixes = {i["Filters"]["Id"][0]["Value"] for i in insights}
    assert prefixes == {
        "example-org/aws-devsecops-platform/",
        *(f"example-org/aws-devsecops-platform/{e.branch}/" for e in load_environments()),
    }
    for insight in insights:
        filters = insight["Filters"]
        assert filters["Id"][0]["Comparison"] == "PREFIX"
        assert filters["RecordState"] == [{"Comparison": "EQUALS", "Value": "ACTIVE"}]
        [product] = filters["ProductArn"]
        assert product["Comparison"] == "EQUALS"
        assert product["Value"] == synthesized.baseline_templates[BASELINE]["Outputs"]["SecurityHubProductArn"]["Value"]


def test_custom_product_arn_is_the_accounts_default_product(synthesized) -> None:
    value = synthesized.baseline_templates[BASELINE]["Outputs"]["SecurityHubProductArn"]["Value"]
    assert value == {
        "Fn::Join": [
            "",
            [
                f"arn:aws:securityhub:{REGION}:",
                {"Ref": "AWS::AccountId"},
                ":product/",
                {"Ref": "AWS::AccountId"},
                "/default",
            ],
        ]
    }


# --- GuardDuty, Inspector, Access Analyzer ------------------------------------------------------


def test_guardduty_protects_s3_rds_lambda_and_fargate_and_publishes_every_15_minutes(synthesized) -> None:
    detector = only(synthesized, "AWS::GuardDuty::Detector")
    assert detector["Enable"] is True
    assert detector["FindingPublishingFrequency"] == "FIFTEEN_MINUTES"
    assert "DataSources" not in detector
    assert detector["Features"] == [
        {"Name": "S3_DATA_EVENTS", "Status": "ENABLED"},
        {"Name": "RDS_LOGIN_EVENTS", "Status": "ENABLED"},
        {"Name": "LAMBDA_NETWORK_LOGS", "Status": "ENABLED"},
        {
            "Name": "RUNTIME_MONITORING",
            "Status": "ENABLED",
            "AdditionalConfiguration": [{"Name": "ECS_FARGATE_AGENT_MANAGEMENT", "Status": "ENABLED"}],
        },
    ]


def test_inspector_is_enabled_for_ecr_and_lambda_and_disabled_on_delete(synthesized) -> None:
    enabler = only(synthesized, "Custom::AWS")
    create, update, delete = (json.loads(enabler[key]) for key in ("Create", "Update", "Delete"))
    for call in (create, update):
        assert (call["service"], call["action"], call["parameters"]) == (
            "Inspector2",
            "enable",
            {"resourceTypes": ["ECR", "LAMBDA"]},
        )
    assert (delete["action"], delete["parameters"]) == ("disable", {"resourceTypes": ["ECR", "LAMBDA"]})
    assert enabler["InstallLatestAwsSdk"] is False


def test_inspector_enabler_may_only_switch_inspector_and_create_its_service_linked_role(synthesized) -> None:
    [policy] = [
        p["Properties"]
        for logical_id, p in resources(synthesized, "AWS::IAM::ManagedPolicy").items()
        if logical_id.startswith("InspectorEnablerPolicy")
    ]
    statements = policy["PolicyDocument"]["Statement"]
    assert [s["Action"] for s in statements] == [
        ["inspector2:Disable", "inspector2:Enable"],
        "iam:CreateServiceLinkedRole",
        ["logs:CreateLogStream", "logs:PutLogEvents"],
    ]
    assert statements[1]["Condition"] == {"StringEquals": {"iam:AWSServiceName": "inspector2.amazonaws.com"}}
    assert "AWSServiceRoleForAmazonInspector2" in json.dumps(statements[1]["Resource"])
    # The provider function uses this role only: no AWS-managed policy, no inline policy.
    assert not resources(synthesized, "AWS::IAM::Policy").keys() - {"AuditTrailLogsRoleDefaultPolicy8AFBFFA7"}


def test_access_analyzer_covers_the_account(synthesized) -> None:
    assert only(synthesized, "AWS::AccessAnalyzer::Analyzer")["Type"] == "ACCOUNT"


# --- AWS Config ---------------------------------------------------------------------------------


def test_config_records_everything_and_delivers_encrypted(synthesized) -> None:
    recorder = only(synthesized, "AWS::Config::ConfigurationRecorder")
    assert recorder["RecordingGroup"] == {"AllSupported": True, "IncludeGlobalResourceTypes": True}
    channel = only(synthesized, "AWS::Config::DeliveryChannel")
    assert channel["S3BucketName"] == {"Ref": CONFIG_BUCKET}
    assert channel["S3KmsKeyArn"] == {"Fn::GetAtt": [AUDIT_KEY, "Arn"]}


def test_config_rules_cover_the_controls_we_claim(synthesized) -> None:
    rules = {
        r["Properties"]["Source"]["SourceIdentifier"]: r
        for r in resources(synthesized, "AWS::Config::ConfigRule").values()
    }
    assert {
        "RDS_STORAGE_ENCRYPTED",
        "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED",
        "CLOUDWATCH_LOG_GROUP_ENCRYPTED",
        "RDS_INSTANCE_DELETION_PROTECTION_ENABLED",
        "S3_BUCKET_PUBLIC_READ_PROHIBITED",
        "RDS_INSTANCE_PUBLIC_ACCESS_CHECK",
        "CMK_BACKING_KEY_ROTATION_ENABLED",
        "SECRETSMANAGER_ROTATION_ENABLED_CHECK",
        "VPC_FLOW_LOGS_ENABLED",
        "ECS_CONTAINERS_READONLY_ACCESS",
        "ELB_LOGGING_ENABLED",
        "CLOUD_TRAIL_ENABLED",
    } <= set(rules)
    recorder_id = next(iter(resources(synthesized, "AWS::Config::ConfigurationRecorder")))
    for identifier, resource in rules.items():
        assert recorder_id in resource["DependsOn"], identifier
    # Deletion protection and ALB logs are enterprise controls: lean resources are not evaluated.
    for identifier in ("RDS_INSTANCE_DELETION_PROTECTION_ENABLED", "ELB_LOGGING_ENABLED"):
        assert rules[identifier]["Properties"]["Scope"] == {"TagKey": "profile", "TagValue": "enterprise"}


def test_audit_buckets_are_encrypted_versioned_private_tls_only_and_logged(synthesized) -> None:
    buckets = resources(synthesized, "AWS::S3::Bucket")
    policies = {p["Properties"]["Bucket"]["Ref"]: p for p in resources(synthesized, "AWS::S3::BucketPolicy").values()}
    for logical_id, bucket in buckets.items():
        props = bucket["Properties"]
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}, logical_id
        assert all(props["PublicAccessBlockConfiguration"].values()), logical_id
        assert props["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 365, logical_id
        deny = policies[logical_id]["Properties"]["PolicyDocument"]["Statement"][0]
        assert deny["Effect"] == "Deny"
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    for logical_id, prefix in ((TRAIL_BUCKET, "trail/"), (CONFIG_BUCKET, "config/")):
        props = buckets[logical_id]["Properties"]
        [encryption] = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert encryption["ServerSideEncryptionByDefault"] == {
            "KMSMasterKeyID": {"Fn::GetAtt": [AUDIT_KEY, "Arn"]},
            "SSEAlgorithm": "aws:kms",
        }
        assert props["LoggingConfiguration"] == {
            "DestinationBucketName": {"Ref": ACCESS_LOG_BUCKET},
            "LogFilePrefix": prefix,
        }
    # Object Lock only where config enables it (not in the shipped configuration).
    assert "ObjectLockEnabled" not in buckets[TRAIL_BUCKET]["Properties"]


# --- CloudTrail ---------------------------------------------------------------------------------


def test_trail_is_multi_region_validated_kms_encrypted_and_delivered_to_cloudwatch(synthesized) -> None:
    trail = only(synthesized, "AWS::CloudTrail::Trail")
    assert trail["IsMultiRegionTrail"] is True
    assert trail["IncludeGlobalServiceEvents"] is True
    assert trail["EnableLogFileValidation"] is True
    assert trail["IsLogging"] is True
    assert trail["EventSelectors"] == [{"IncludeManagementEvents": True, "ReadWriteType": "All"}]
    assert trail["KMSKeyId"] == {"Fn::GetAtt": [AUDIT_KEY, "Arn"]}
    assert trail["S3BucketName"] == {"Ref": TRAIL_BUCKET}
    assert trail["CloudWatchLogsLogGroupArn"] == {"Fn::GetAtt": [TRAIL_LOG_GROUP, "Arn"]}
    log_group = resources(synthesized, "AWS::Logs::LogGroup")[TRAIL_LOG_GROUP]["Properties"]
    assert log_group["KmsKeyId"] == {"Fn::GetAtt": [AUDIT_KEY, "Arn"]}
    assert log_group["RetentionInDays"] == 365


def test_audit_key_lets_only_this_accounts_trails_encrypt(synthesized) -> None:
    key = resources(synthesized, "AWS::KMS::Key")[AUDIT_KEY]["Properties"]
    assert key["EnableKeyRotation"] is True
    [statement] = [s for s in key["KeyPolicy"]["Statement"] if s.get("Sid") == "AllowCloudTrailOfThisAccountToEncrypt"]
    assert statement["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert statement["Action"] == "kms:GenerateDataKey*"
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    context = statement["Condition"]["StringLike"]["kms:EncryptionContext:aws:cloudtrail:arn"]
    assert context == {"Fn::Join": ["", ["arn:aws:cloudtrail:*:", {"Ref": "AWS::AccountId"}, ":trail/*"]]}


# --- Alerts -------------------------------------------------------------------------------------


def test_security_hub_rule_matches_active_new_high_and_critical_findings_only(synthesized) -> None:
    assert rule(synthesized, "AlertsSecurityHubHighFindings")["EventPattern"] == {
        "source": ["aws.securityhub"],
        "detail-type": ["Security Hub Findings - Imported"],
        "detail": {
            "findings": {
                "Severity": {"Label": ["HIGH", "CRITICAL"]},
                "RecordState": ["ACTIVE"],
                "Workflow": {"Status": ["NEW"]},
            }
        },
    }


def test_guardduty_rule_matches_every_guardduty_finding(synthesized) -> None:
    assert rule(synthesized, "AlertsGuardDutyFindings")["EventPattern"] == {
        "source": ["aws.guardduty"],
        "detail-type": ["GuardDuty Finding"],
    }


def test_root_rule_matches_root_console_sign_in_and_api_calls(synthesized) -> None:
    assert rule(synthesized, "AlertsRootAccountUse")["EventPattern"] == {
        "detail-type": ["AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail"],
        "detail": {"userIdentity": {"type": ["Root"]}},
    }


def test_every_alert_rule_targets_the_encrypted_topic_with_a_dead_letter_queue(synthesized) -> None:
    [topic_id] = resources(synthesized, "AWS::SNS::Topic")
    [queue_id] = resources(synthesized, "AWS::SQS::Queue")
    rules = resources(synthesized, "AWS::Events::Rule").values()
    assert len(rules) == 3
    for alert_rule in rules:
        [target] = alert_rule["Properties"]["Targets"]
        assert target["Arn"] == {"Ref": topic_id}
        assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [queue_id, "Arn"]}}
    assert only(synthesized, "AWS::SNS::Topic")["KmsMasterKeyId"] == {"Fn::GetAtt": [ALERTS_KEY, "Arn"]}
    assert only(synthesized, "AWS::SQS::Queue")["KmsMasterKeyId"] == {"Fn::GetAtt": [ALERTS_KEY, "Arn"]}
    statements = only(synthesized, "AWS::SNS::TopicPolicy")["PolicyDocument"]["Statement"]
    assert statements[0]["Effect"] == "Deny"
    assert statements[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    subscription = only(synthesized, "AWS::SNS::Subscription")
    assert (subscription["Protocol"], subscription["Endpoint"]) == ("email", "security-alerts@example.com")
    # EventBridge may encrypt with the alerts key, or every alert is dropped at delivery.
    key_statements = resources(synthesized, "AWS::KMS::Key")[ALERTS_KEY]["Properties"]["KeyPolicy"]["Statement"]
    assert any(
        s["Principal"] == {"Service": "events.amazonaws.com"} and "kms:GenerateDataKey*" in s["Action"]
        for s in key_statements
    )


def test_alerts_topic_is_exposed_for_other_tiers(synthesized) -> None:
    from aws_cdk import aws_sns as sns

    [baseline] = synthesized.platform.baselines
    assert isinstance(baseline.alerts_topic, sns.Topic)


# --- OIDC providers -----------------------------------------------------------------------------


def test_github_provider_is_native_with_exactly_the_sts_audience(synthesized) -> None:
    providers = resources(synthesized, "AWS::IAM::OIDCProvider")
    assert [p["Properties"] for p in providers.values()] == [
        {"Url": "https://token.actions.githubusercontent.com", "ClientIdList": ["sts.amazonaws.com"]}
    ]
    assert not resources(synthesized, "Custom::AWSCDKOpenIdConnectProvider")
    [baseline] = synthesized.platform.baselines
    assert baseline.gitlab_oidc_provider is None


# --- Snapshot -----------------------------------------------------------------------------------


@pytest.fixture
def json_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


def test_baseline_template_matches_snapshot(synthesized, json_snapshot: SnapshotAssertion) -> None:
    assert masked(synthesized.baseline_templates[BASELINE]) == json_snapshot(name=BASELINE)


# --- Configuration: one baseline per account ----------------------------------------------------


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def name_accounts(config_dir: Path, accounts: dict[str, str]) -> None:
    for name, account in accounts.items():
        path = config_dir / f"{name}.toml"
        path.write_text(f'account = "{account}"\n' + path.read_text())


def add_accounts(config_dir: Path, body: str) -> None:
    path = config_dir / "accounts.toml"
    path.write_text(path.read_text() + body)


SHARED = {"dev": "111111111111", "qa": "111111111111", "staging": "222222222222", "uat": "222222222222"}
SHARED_WITH_PROD = {**SHARED, "prod": "222222222222"}


def problems_of(config_dir: Path) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load_baselines(None, config_dir)
    return raised.value.problems


def test_two_environments_sharing_an_account_synthesize_one_baseline(config_dir: Path, tmp_path: Path) -> None:
    # Given dev and qa in one account, the enterprise environments in another that locks its trail
    name_accounts(config_dir, SHARED_WITH_PROD)
    add_accounts(
        config_dir,
        '\n[[account]]\naccount = "222222222222"\ntrail_object_lock = true\n'
        '\n[[account]]\naccount = "111111111111"\ngitlab_project = "example-group/platform"\n',
    )
    baselines = load_baselines(None, config_dir)
    assert [(b.stack_id, [e.name for e in b.environments]) for b in baselines] == [
        ("Baseline-111111111111", ["dev", "qa"]),
        ("Baseline-222222222222", ["staging", "uat", "prod"]),
    ]

    # When the shared account's environments and every baseline are synthesized
    from stacks.platform import build_platform

    app = new_app(tmp_path / "out")
    environments = [e for e in load_environments(None, config_dir) if e.name in ("dev", "qa")]
    build_platform(app, environments, baselines=baselines)
    assembly = app.synth()

    # Then there is one baseline per account, in that account and the first environment's region
    top_level = {s.stack_name: s for s in assembly.stacks}
    assert set(top_level) == {"Baseline-111111111111", "Baseline-222222222222"}
    shared = top_level["Baseline-111111111111"]
    assert (shared.environment.account, shared.environment.region) == ("111111111111", REGION)
    assert shared.termination_protection is True
    templates = {name: json.loads(Path(s.template_full_path).read_text()) for name, s in top_level.items()}

    def of_type(name: str, resource_type: str) -> list[dict]:
        return [r for r in templates[name]["Resources"].values() if r["Type"] == resource_type]

    for name in top_level:
        assert len(of_type(name, "AWS::SecurityHub::Hub")) == 1
        assert len(of_type(name, "AWS::GuardDuty::Detector")) == 1
    # Per-account settings reach only their account
    [locked] = [
        b for b in of_type("Baseline-222222222222", "AWS::S3::Bucket") if "ObjectLockEnabled" in b["Properties"]
    ]
    assert locked["Properties"]["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Days": 365, "Mode": "GOVERNANCE"}},
    }
    assert not [
        b for b in of_type("Baseline-111111111111", "AWS::S3::Bucket") if "ObjectLockEnabled" in b["Properties"]
    ]
    gitlab = [p["Properties"] for p in of_type("Baseline-111111111111", "AWS::IAM::OIDCProvider")]
    assert {"Url": "https://gitlab.com", "ClientIdList": ["sts.amazonaws.com"]} in gitlab
    assert len(of_type("Baseline-222222222222", "AWS::IAM::OIDCProvider")) == 1


def test_two_entries_for_one_account_are_refused(config_dir: Path) -> None:
    name_accounts(config_dir, SHARED_WITH_PROD)
    add_accounts(
        config_dir,
        '\n[[account]]\naccount = "111111111111"\n\n[[account]]\naccount = "111111111111"\ntrail_object_lock = true\n',
    )
    [problem] = problems_of(config_dir)
    assert problem.startswith("accounts.toml: [[account]] #2: field 'account' = '111111111111' already has a baseline")
    assert "[[account]] #1" in problem
    assert "one baseline per account" in problem


def test_environments_naming_and_not_naming_accounts_are_refused(config_dir: Path) -> None:
    # prod left without an account could deploy into 111111111111 or 222222222222: a second baseline there
    name_accounts(config_dir, SHARED)
    [problem] = problems_of(config_dir)
    assert "environments 'prod': field 'account' is missing" in problem
    assert "'dev' (account 111111111111)" in problem
    assert "either every environment names its account or none does" in problem


def test_entry_for_an_account_no_environment_uses_is_refused(config_dir: Path) -> None:
    add_accounts(config_dir, '\n[[account]]\naccount = "333333333333"\n')
    [problem] = problems_of(config_dir)
    assert "field 'account' = '333333333333' is not the account of any environment" in problem
    assert "none (leave 'account' out)" in problem


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("trail_retention_days = 365", "trail_retention_days = 90", ["defaults.trail_retention_days", "= 90", "365"]),
        ('alerts_email = "security-alerts@example.com"', 'alerts_email = "nobody"', ["defaults.alerts_email"]),
        ('gitlab_url = "https://gitlab.com"', 'gitlab_url = "https://gitlab.com/"', ["defaults.gitlab_url"]),
        ("trail_object_lock = false", "trail_object_lock = 1", ["defaults.trail_object_lock", "bool"]),
        ("trail_object_lock = false", "trail_object_lock = false\nobject_lock = true", ["'defaults.object_lock'"]),
    ],
)
def test_bad_baseline_setting_names_field_value_and_what_is_allowed(
    config_dir: Path, old: str, new: str, expected: list[str]
) -> None:
    path = config_dir / "accounts.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    [problem] = problems_of(config_dir)
    assert problem.startswith("accounts.toml: ")
    for fragment in expected:
        assert fragment in problem


def test_selecting_an_environment_selects_its_accounts_baseline(config_dir: Path) -> None:
    name_accounts(config_dir, SHARED_WITH_PROD)
    [baseline] = load_baselines("qa", config_dir)
    assert baseline.stack_id == "Baseline-111111111111"
    assert baseline.region == REGION
