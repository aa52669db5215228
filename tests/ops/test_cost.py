"""The cost estimate: per-resource figures from the session's synth, totals that add up, nothing dropped."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from config import load_environments
from ops import cost
from ops.assembly import load

pytestmark = pytest.mark.synth

REPO_ROOT = Path(__file__).resolve().parents[2]
BY_NAME = {e.name: e for e in load_environments()}


@pytest.fixture(scope="module")
def report(synthesized):
    return cost.build_report(load(synthesized.outdir))


def lines(report: cost.Report, scope: str, price_key: str) -> list[cost.Line]:
    estimate = next(e for e in [*report.environments, *report.baselines] if e.scope == scope)
    return [line for line in estimate.lines if line.price_key == price_key]


def test_every_environment_and_the_baseline_are_estimated_with_the_price_files_date(report: cost.Report) -> None:
    assert [e.scope for e in report.environments] == list(BY_NAME)
    assert [b.scope for b in report.baselines] == ["Baseline"]
    assert report.book.region == "eu-central-1"
    text = cost.render(report)
    assert f"prices as of {report.book.as_of.isoformat()}" in text
    dev = next(e for e in report.environments if e.scope == "dev")
    assert "total dev" in text
    assert f"dev          lean        {dev.total:>12.2f}" in text


def test_totals_are_exactly_the_sum_of_their_lines(report: cost.Report) -> None:
    for estimate in [*report.environments, *report.baselines]:
        assert estimate.lines
        assert estimate.total == round(sum(line.monthly for line in estimate.lines), 2)
        for line in estimate.lines:
            assert line.monthly == round(line.quantity * report.book[line.price_key].usd, 2)
    assert report.total == round(sum(e.total for e in [*report.environments, *report.baselines]), 2)


@pytest.mark.parametrize("env", list(BY_NAME))
def test_load_balancer_and_its_public_addresses(report: cost.Report, env: str, synthesized) -> None:
    hours = report.book.hours_per_month
    [alb] = lines(report, env, "alb_hour")
    assert alb.quantity == hours
    [(_, balancer)] = synthesized.resources(
        env.capitalize(), "Service", "AWS::ElasticLoadBalancingV2::LoadBalancer"
    ).items()
    azs = len(balancer["Properties"]["Subnets"])
    assert azs == BY_NAME[env].network.max_azs
    addresses = {line.item: line.quantity for line in lines(report, env, "public_ipv4_hour")}
    assert addresses[f"public IPv4, one per Availability Zone ({azs})"] == azs * hours
    config = BY_NAME[env]
    if config.is_enterprise:
        # private tasks: the only other addresses are the NAT gateways' Elastic IPs, one per AZ
        assert addresses["public IPv4 (Elastic IP)"] == hours
        assert len(lines(report, env, "nat_gateway_hour")) == azs
        endpoint_hours = [line.quantity for line in lines(report, env, "interface_endpoint_az_hour")]
        assert endpoint_hours == [azs * hours] * 4
    else:
        assert (
            addresses[f"public IPv4, one per task ({config.service.desired_count})"]
            == config.service.desired_count * hours
        )
        assert lines(report, env, "nat_gateway_hour") == []
        assert lines(report, env, "interface_endpoint_az_hour") == []


@pytest.mark.parametrize("env", list(BY_NAME))
def test_fargate_hours_follow_task_size_count_and_capacity_strategy(report: cost.Report, env: str) -> None:
    config = BY_NAME[env].service
    hours = report.book.hours_per_month
    on_demand = config.on_demand_base
    spot = config.desired_count - on_demand
    vcpu = [line.quantity for line in lines(report, env, "fargate_vcpu_hour")]
    spot_vcpu = [line.quantity for line in lines(report, env, "fargate_spot_vcpu_hour")]
    spot_gb = [line.quantity for line in lines(report, env, "fargate_spot_gb_hour")]
    assert vcpu == ([on_demand * config.cpu / 1024 * hours] if on_demand else [])
    assert spot_vcpu == ([spot * config.cpu / 1024 * hours] if spot else [])
    assert spot_gb == ([spot * config.memory_mib / 1024 * hours] if spot else [])


def test_capacity_split_places_each_base_first_then_by_weight() -> None:
    strategy = [
        {"CapacityProvider": "FARGATE", "Base": 2, "Weight": 0},
        {"CapacityProvider": "FARGATE_SPOT", "Weight": 1},
    ]
    assert cost.capacity_split(3, strategy) == (2.0, 1.0)
    assert cost.capacity_split(1, strategy) == (1.0, 0.0)
    assert cost.capacity_split(
        4, [{"CapacityProvider": "FARGATE", "Weight": 1}, {"CapacityProvider": "FARGATE_SPOT", "Weight": 3}]
    ) == (1.0, 3.0)
    assert cost.capacity_split(2, []) == (2.0, 0.0)


@pytest.mark.parametrize("env", list(BY_NAME))
def test_database_instance_storage_multi_az_and_secret(report: cost.Report, env: str) -> None:
    database = BY_NAME[env].database
    copies = 2 if database.multi_az else 1
    key = f"rds_postgres_hour_db_{database.instance_class.replace('.', '_')}"
    [instance] = lines(report, env, key)
    assert instance.quantity == copies * report.book.hours_per_month
    [storage] = lines(report, env, "rds_gp3_gb_month")
    assert storage.quantity == copies * database.allocated_storage_gib
    assert len(lines(report, env, "secret_month")) == 1
    assert len(lines(report, env, "kms_key_month")) == 2
    assert len(lines(report, env, "waf_web_acl_month")) == (1 if BY_NAME[env].service.waf_enabled else 0)


def test_baseline_prices_each_service_of_the_account(report: cost.Report) -> None:
    for key in (
        "config_item",
        "config_rule_evaluation",
        "guardduty_million_cloudtrail_events",
        "guardduty_rds_vcpu_month",
        "guardduty_fargate_vcpu_month",
        "securityhub_check",
        "inspector_ecr_initial_scan",
        "inspector_lambda_function_month",
        "cloudtrail_management_first_copy",
    ):
        assert lines(report, "Baseline", key), key
    # one line per Config rule in the template
    assert len(lines(report, "Baseline", "config_rule_evaluation")) == 17


def test_an_unknown_resource_type_is_listed_as_unpriced_never_dropped(synthesized, tmp_path: Path) -> None:
    # Given the dev Data stack with a resource type the estimate has no pricer for, and an instance
    # class the price file does not name
    outdir = tmp_path / "cdk.out"
    shutil.copytree(synthesized.outdir, outdir)
    [template] = (outdir / "assembly-Dev").glob("DevData*.template.json")
    data = json.loads(template.read_text())
    data["Resources"]["Table"] = {"Type": "AWS::DynamoDB::Table", "Properties": {}}
    data["Resources"]["DatabaseInstanceAA8A5FDE"]["Properties"]["DBInstanceClass"] = "db.x2iedn.32xlarge"
    template.write_text(json.dumps(data))
    # When it is estimated
    report = cost.build_report(load(outdir), "dev")
    [dev] = report.environments
    # Then both are listed as unpriced, by name, in the printed report too
    unpriced = {(u.resource_type, u.resource): u.reason for u in dev.unpriced}
    assert ("AWS::DynamoDB::Table", "Dev-Data/Table") in unpriced
    assert (
        "rds_postgres_hour_db_x2iedn_32xlarge"
        in unpriced[("AWS::RDS::DBInstance", "Dev-Data/DatabaseInstanceAA8A5FDE")]
    )
    text = cost.render(report)
    assert "unpriced (not in the total):" in text
    assert "AWS::DynamoDB::Table Dev-Data/Table" in text


def test_every_synthesized_type_is_priced_or_known_to_cost_nothing(report: cost.Report) -> None:
    unpriced = [u for e in [*report.environments, *report.baselines] for u in e.unpriced]
    assert unpriced == [], "a new resource type: add a pricer (or a no-charge reason) to ops/cost.py"


def test_lean_dev_target_is_claimed_only_when_true(report: cost.Report) -> None:
    check = report.target
    assert check is not None
    text = cost.render(report)
    total = round(check.environment.total + check.dedicated_baseline.total, 2)
    assert check.total == total
    if total < cost.TARGET_USD:
        assert f"= {total:.2f}: met" in text
    else:
        # Not under USD 60: the report says so, names what drives it and proposes a cut; so does the README.
        assert f"= {total:.2f}: NOT met" in text
        assert "what drives it:" in text
        assert "proposed cut" in text
        readme = (REPO_ROOT / "README.md").read_text()
        operating = readme.split("## Operating", 1)[1]
        assert "not under USD 60" in operating


def test_cli_selects_one_environment_and_refuses_an_unknown_one(
    synthesized, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cost.main(["--cdk-out", str(synthesized.outdir), "--env", "prod"]) == 0
    out = capsys.readouterr().out
    assert "== prod (enterprise) ==" in out
    assert "== dev (lean) ==" not in out
    assert "== Baseline (account baseline) ==" in out
    assert cost.main(["--cdk-out", str(synthesized.outdir), "--env", "nowhere"]) == 2
    assert "unknown environment 'nowhere'" in capsys.readouterr().err
