"""Per-environment monitoring: every alarm notifies the account's alerts topic; the alarms, the
dashboard and the event rules are exactly the ones that matter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.monitoring import GIB
from components.security_alerts import ALERTS_TOPIC_NAME
from config import ConfigError, load_environments
from config.baselines import load_baselines
from tests.infra.test_baseline import REGION, SHARED_WITH_PROD, config_dir, name_accounts  # noqa: F401 - a fixture

ENVIRONMENTS = load_environments()
STAGES = [e.stage_id for e in ENVIRONMENTS]
BY_STAGE = {e.stage_id: e for e in ENVIRONMENTS}
SERVICE = "WebService5EA589E6"
CLUSTER = "WebServiceCluster71D73A5E"
ALERTS_TOPIC_ARN = {
    "Fn::Join": [
        "",
        ["arn:", {"Ref": "AWS::Partition"}, ":sns:", {"Ref": "AWS::Region"}, ":", {"Ref": "AWS::AccountId"},
         f":{ALERTS_TOPIC_NAME}"],
    ]
}  # fmt: skip


def alarms(synthesized, stage: str) -> dict[str, dict]:
    """Alarm name -> properties, across every stack of the environment."""
    found = {}
    for (stage_id, _stack), template in synthesized.templates.items():
        for resource in template["Resources"].values():
            if stage_id == stage and resource["Type"] == "AWS::CloudWatch::Alarm":
                found[resource["Properties"]["AlarmName"]] = resource["Properties"]
    return found


def rule(synthesized, stage: str, prefix: str) -> dict:
    [found] = [
        resource["Properties"]
        for logical_id, resource in synthesized.resources(stage, "Service", "AWS::Events::Rule").items()
        if logical_id.startswith(f"Monitoring{prefix}")
    ]
    return found


def metric(properties: dict, metric_id: str = "m1") -> dict:
    [stat] = [m["MetricStat"] for m in properties["Metrics"] if m["Id"] == metric_id]
    return stat


@pytest.mark.parametrize("stage", STAGES)
def test_every_alarm_notifies_the_alerts_topic_on_alarm_and_on_recovery(synthesized, stage: str) -> None:
    found = alarms(synthesized, stage)
    assert found, f"{stage} has no alarms"
    for name, properties in found.items():
        assert properties["AlarmActions"] == [ALERTS_TOPIC_ARN], name
        assert properties["OKActions"] == [ALERTS_TOPIC_ARN], name
        assert properties.get("ActionsEnabled", True) is True, name


def test_the_topic_alarms_address_is_the_one_the_baseline_creates(synthesized) -> None:
    [baseline] = synthesized.baseline_templates.values()
    [topic] = [r for r in baseline["Resources"].values() if r["Type"] == "AWS::SNS::Topic"]
    assert topic["Properties"]["TopicName"] == ALERTS_TOPIC_NAME


def test_baseline_lets_only_this_accounts_alarms_publish_to_the_encrypted_topic(synthesized) -> None:
    [baseline] = synthesized.baseline_templates.values()
    resources = baseline["Resources"].values()
    [topic_policy] = [r for r in resources if r["Type"] == "AWS::SNS::TopicPolicy"]
    [publish] = [
        s for s in topic_policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]  # fmt: skip
    assert publish["Action"] == "sns:Publish"
    conditions = {
        "ArnLike": {
            "aws:SourceArn": {
                # The baseline is pinned to its region: the partition and region are literal.
                "Fn::Join": ["", [f"arn:aws:cloudwatch:{REGION}:", {"Ref": "AWS::AccountId"}, ":alarm:*"]]
            }
        },
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
    }  # fmt: skip
    assert publish["Condition"] == conditions
    key_statements = [
        s for r in resources if r["Type"] == "AWS::KMS::Key"
        for s in r["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]  # fmt: skip
    assert [(s["Action"], s["Condition"]) for s in key_statements] == [
        (["kms:Decrypt", "kms:GenerateDataKey*"], conditions)
    ]


@pytest.mark.parametrize("stage", STAGES)
def test_the_alarms_that_page_exist_with_their_thresholds(synthesized, stage: str) -> None:
    env = BY_STAGE[stage]
    found = alarms(synthesized, stage)
    expected = {
        f"{stage}-Http5xxRate": ("GreaterThanThreshold", 5, 5),
        f"{stage}-UnhealthyHosts": ("GreaterThanThreshold", 0, 5),
        f"{stage}-DatabaseCpuHigh": ("GreaterThanThreshold", 80, 3),
        f"{stage}-DatabaseFreeStorageLow": ("LessThanThreshold", env.database.allocated_storage_gib * GIB // 10, 1),
    }
    assert {
        name: (p["ComparisonOperator"], p["Threshold"], p["EvaluationPeriods"]) for name, p in found.items()
    } == expected
    for properties in found.values():
        assert properties["DatapointsToAlarm"] == properties["EvaluationPeriods"]
        assert properties["TreatMissingData"] == "notBreaching"

    # The 5xx rate is the tasks' 5xx over the requests, per minute.
    rate = found[f"{stage}-Http5xxRate"]
    [expression] = [m for m in rate["Metrics"] if "Expression" in m]
    assert expression["Expression"] == "IF(requests > 0, 100 * errors / requests, 0)"
    assert metric(rate, "errors")["Metric"]["MetricName"] == "HTTPCode_Target_5XX_Count"
    assert metric(rate, "requests")["Metric"]["MetricName"] == "RequestCount"
    assert {metric(rate, i)["Period"] for i in ("errors", "requests")} == {60}
    unhealthy = metric(found[f"{stage}-UnhealthyHosts"])
    assert (unhealthy["Metric"]["MetricName"], unhealthy["Stat"], unhealthy["Period"]) == (
        "UnHealthyHostCount", "Maximum", 60
    )  # fmt: skip
    storage = metric(found[f"{stage}-DatabaseFreeStorageLow"])
    assert (storage["Metric"]["MetricName"], storage["Stat"]) == ("FreeStorageSpace", "Minimum")
    cpu = metric(found[f"{stage}-DatabaseCpuHigh"])
    assert (cpu["Metric"]["Namespace"], cpu["Metric"]["MetricName"], cpu["Period"]) == (
        "AWS/RDS",
        "CPUUtilization",
        300,
    )


@pytest.mark.parametrize("stage", STAGES)
def test_a_failed_deployment_goes_straight_to_the_alerts_topic(synthesized, stage: str) -> None:
    deployment_failed = rule(synthesized, stage, "DeploymentFailed")
    assert deployment_failed["EventPattern"] == {
        "source": ["aws.ecs"],
        "detail-type": ["ECS Deployment State Change"],
        "resources": [{"Ref": SERVICE}],
        "detail": {"eventName": ["SERVICE_DEPLOYMENT_FAILED"]},
    }
    assert deployment_failed["Targets"] == [{"Arn": ALERTS_TOPIC_ARN, "Id": "Target0"}]


@pytest.mark.parametrize("stage", STAGES)
def test_spot_interruptions_are_counted_once_per_task_of_this_cluster(synthesized, stage: str) -> None:
    spot = rule(synthesized, stage, "SpotInterruptions")
    assert spot["EventPattern"] == {
        "source": ["aws.ecs"],
        "detail-type": ["ECS Task State Change"],
        "detail": {
            "clusterArn": [{"Fn::GetAtt": [CLUSTER, "Arn"]}],
            "lastStatus": ["STOPPED"],
            "stopCode": ["SpotInterruption"],
        },
    }
    # Counted by the rule's MatchedEvents metric: a target would deliver each interruption somewhere.
    assert "Targets" not in spot


@pytest.mark.parametrize("stage", STAGES)
def test_stack_deployment_rules_match_only_this_environments_stacks(synthesized, stage: str) -> None:
    prefix = {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":cloudformation:", {"Ref": "AWS::Region"}, ":",
                          {"Ref": "AWS::AccountId"}, f":stack/{stage}-"]]
    }  # fmt: skip
    for rule_id, statuses in (
        ("StacksDeployed", ["CREATE_COMPLETE", "UPDATE_COMPLETE"]),
        (
            "StacksRolledBack",
            ["CREATE_FAILED", "ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED"],
        ),
    ):
        found = rule(synthesized, stage, rule_id)
        assert found["EventPattern"] == {
            "source": ["aws.cloudformation"],
            "detail-type": ["CloudFormation Stack Status Change"],
            "detail": {"stack-id": [{"prefix": prefix}], "status-details": {"status": statuses}},
        }
        assert "Targets" not in found


def dashboard_body(synthesized, stage: str) -> str:
    [dashboard] = synthesized.resources(stage, "Service", "AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == f"{stage}-service"
    # The body is a Fn::Join of literal JSON and tokens: the literals are enough to find metric names.
    return json.dumps(dashboard["Properties"]["DashboardBody"])


@pytest.mark.parametrize("stage", STAGES)
def test_dashboard_shows_the_key_metrics(synthesized, stage: str) -> None:
    body = dashboard_body(synthesized, stage)
    for needle in (
        "RequestCount",
        "HTTPCode_ELB_5XX_Count",
        "HTTPCode_Target_5XX_Count",
        "TargetResponseTime",
        '\\"stat\\":\\"p50\\"',
        '\\"stat\\":\\"p99\\"',
        "HealthyHostCount",
        "UnHealthyHostCount",
        "CPUUtilization",
        "MemoryUtilization",
        "ECS/ContainerInsights",
        "RunningTaskCount",
        "DesiredTaskCount",
        "MatchedEvents",
        "Fargate Spot interruptions",
        "Stack deployments into this environment",
        "Pipeline runs through the findings gate",
        "Platform/Gate",
        "GateRuns",
        "GateBlocked",
        "DatabaseConnections",
        "FreeStorageSpace",
    ):
        assert needle in body, f"{stage} dashboard lacks {needle}"
    # Multi-AZ instances have no ReplicaLag; what the standby costs shows as write latency.
    assert "ReplicaLag" not in body
    assert ("WriteLatency" in body) is BY_STAGE[stage].database.multi_az
    # The gate's metrics are this environment's own: the gate publishes them per environment.
    assert f'\\"Environment\\",\\"{BY_STAGE[stage].name}\\"' in body


def test_an_environment_outside_its_baselines_region_is_refused(config_dir: Path) -> None:  # noqa: F811
    # Given qa in another region than dev, both in one account
    name_accounts(config_dir, SHARED_WITH_PROD)
    qa = config_dir / "qa.toml"
    qa.write_text(qa.read_text().replace('account = "111111111111"', 'account = "111111111111"\nregion = "eu-west-1"'))
    # When the baselines are loaded, Then the config is refused, naming the field, both regions and why
    with pytest.raises(ConfigError) as refused:
        load_baselines(None, config_dir)
    [problem] = refused.value.problems
    assert problem.startswith("qa.toml (environment 'qa'): field 'region' = 'eu-west-1' differs from the region")
    assert f"({REGION!r})" in problem
    assert "CloudWatch alarms can only notify a topic in their own region" in problem
