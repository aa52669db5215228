"""The acknowledgement list: printed per environment; lean trade-offs never reach enterprise."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from compliance.acknowledgements import AcknowledgementError, load_acknowledgements
from config import load_environments


def test_acknowledgements_per_environment_carry_no_lean_trade_off_into_enterprise(synthesized) -> None:
    by_environment: dict[str, list] = defaultdict(list)
    for ack in synthesized.platform.acknowledgements:
        by_environment[ack.environment].append(ack)
    for environment, acks in by_environment.items():
        print(f"\n{environment}: {len(acks)} acknowledged findings")
        for ack in acks:
            marker = " [lean trade-off]" if ack.lean_trade_off else ""
            print(f"  {ack.construct_path}  {ack.finding}{marker}")
    enterprise = [e.name for e in load_environments() if e.is_enterprise]
    lean = [e.name for e in load_environments() if not e.is_enterprise]
    assert enterprise
    assert lean
    for name in enterprise:
        assert by_environment[name], name
        assert not [a for a in by_environment[name] if a.lean_trade_off], name
    for name in lean:
        assert [a for a in by_environment[name] if a.lean_trade_off], name


def test_every_acknowledgement_names_one_finding_id_per_entry_with_its_pack() -> None:
    for ack in load_acknowledgements():
        for finding in ack.findings:
            pack, _, rule = finding.partition("::")
            assert rule.startswith(f"{pack}-"), finding


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "acknowledgements.toml"
    path.write_text(body)
    return path


def test_lean_trade_off_naming_enterprise_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[acknowledgement]]
path = "Data/Database/Instance/Resource"
findings = ["AwsSolutions::AwsSolutions-RDS3"]
profiles = ["lean", "enterprise"]
lean_trade_off = true
reason = "single AZ keeps the lean bill down for sure"
""",
    )
    with pytest.raises(AcknowledgementError, match="lean trade-off applies to the lean profile only"):
        load_acknowledgements(path)


def test_blanket_rule_without_pack_prefix_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[acknowledgement]]
path = "Data/*"
findings = ["AwsSolutions-IAM5"]
profiles = ["lean"]
lean_trade_off = false
reason = "this would hide every wildcard in the stack"
""",
    )
    with pytest.raises(AcknowledgementError, match="must read '<pack>::<pack>-<rule>"):
        load_acknowledgements(path)


def test_reason_must_explain(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[acknowledgement]]
path = "Data/Database/Instance/Resource"
findings = ["AwsSolutions::AwsSolutions-RDS11"]
profiles = ["lean"]
lean_trade_off = false
reason = "fine"
""",
    )
    with pytest.raises(AcknowledgementError, match="'reason' must explain"):
        load_acknowledgements(path)


def test_stale_acknowledgement_is_refused(tmp_path: Path) -> None:
    import aws_cdk as cdk

    from compliance.acknowledgements import apply_acknowledgements

    path = write(
        tmp_path,
        """
[[acknowledgement]]
path = "Data/NoSuchConstruct/Resource"
findings = ["AwsSolutions::AwsSolutions-RDS11"]
profiles = ["lean"]
lean_trade_off = false
reason = "points at a construct that no longer exists"
""",
    )
    dev = load_environments("dev")[0]
    stage = cdk.Stage(cdk.App(), "Dev")
    cdk.Stack(stage, "Data")
    with pytest.raises(AcknowledgementError, match="matches no construct in environment 'dev'"):
        apply_acknowledgements(stage, dev, load_acknowledgements(path))


def test_baseline_entry_naming_profiles_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[acknowledgement]]
scope = "baseline"
path = "Inspector/EnablerPolicy/Resource"
findings = ["AwsSolutions::AwsSolutions-IAM5[Resource::*]"]
profiles = ["lean"]
lean_trade_off = false
reason = "inspector enable supports no resource level permissions"
""",
    )
    with pytest.raises(AcknowledgementError, match="a baseline stack has no profile"):
        load_acknowledgements(path)


def test_unknown_scope_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[acknowledgement]]
scope = "account"
path = "Inspector/EnablerPolicy/Resource"
findings = ["AwsSolutions::AwsSolutions-IAM5[Resource::*]"]
reason = "inspector enable supports no resource level permissions"
""",
    )
    with pytest.raises(AcknowledgementError, match="'scope' = 'account' is not allowed; allowed: stage, baseline"):
        load_acknowledgements(path)


def test_baseline_entries_apply_to_baseline_stacks_only(tmp_path: Path) -> None:
    import aws_cdk as cdk

    from compliance.acknowledgements import Scope, apply_acknowledgements, apply_stack_acknowledgements

    path = write(
        tmp_path,
        """
[[acknowledgement]]
scope = "baseline"
path = "Inspector/EnablerPolicy/Resource"
findings = ["AwsSolutions::AwsSolutions-IAM5[Resource::*]"]
reason = "inspector enable supports no resource level permissions"
""",
    )
    [ack] = load_acknowledgements(path)
    assert (ack.scope, ack.profiles, ack.lean_trade_off) == (Scope.BASELINE, (), False)
    app = cdk.App()
    # A stage entry list without the construct: the baseline entry is not applied to stages.
    assert apply_acknowledgements(cdk.Stage(app, "Dev"), load_environments("dev")[0], (ack,)) == ()
    stack = cdk.Stack(app, "Baseline")
    with pytest.raises(AcknowledgementError, match="matches no construct in baseline stack 'Baseline'"):
        apply_stack_acknowledgements(stack, Scope.BASELINE, (ack,))
    inspector = cdk.Resource(stack, "Inspector")
    cdk.CfnResource(cdk.Resource(inspector, "EnablerPolicy"), "Resource", type="AWS::IAM::ManagedPolicy")
    [applied] = apply_stack_acknowledgements(stack, Scope.BASELINE, (ack,))
    assert (applied.environment, applied.construct_path) == ("Baseline", "Inspector/EnablerPolicy/Resource")


def test_every_baseline_acknowledgement_is_applied(synthesized) -> None:
    from compliance.acknowledgements import Scope

    entries = [a for a in load_acknowledgements() if a.scope is Scope.BASELINE]
    applied = synthesized.platform.baseline_acknowledgements
    assert entries
    assert {a.environment for a in applied} == {"Baseline"}
    assert {(a.finding) for a in applied} == {f for e in entries for f in e.findings}


def test_when_must_name_a_boolean_configuration_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[acknowledgement]]
path = "Service/WebService/TaskDefinition/TaskRole/DefaultPolicy/Resource"
findings = ["AwsSolutions::AwsSolutions-IAM5[Resource::*]"]
profiles = ["lean"]
lean_trade_off = false
when = "service.cpu"
reason = "names a number, not a flag, so it cannot decide anything"
""",
    )
    with pytest.raises(AcknowledgementError, match=r"'when' = 'service.cpu' must name a boolean configuration field"):
        load_acknowledgements(path)


def test_entry_with_when_applies_only_where_the_flag_is_on(tmp_path: Path) -> None:
    import dataclasses

    import aws_cdk as cdk
    from aws_cdk import aws_sns as sns

    from compliance.acknowledgements import apply_acknowledgements

    path = write(
        tmp_path,
        """
[[acknowledgement]]
path = "Service/Topic/Resource"
findings = ["AwsSolutions::AwsSolutions-SNS2"]
profiles = ["lean"]
lean_trade_off = false
when = "service.enable_ecs_exec"
reason = "stands in for a finding that exists only while ECS Exec is on"
""",
    )
    dev = load_environments("dev")[0]
    assert dev.service.enable_ecs_exec is False
    with_exec = dataclasses.replace(dev, service=dataclasses.replace(dev.service, enable_ecs_exec=True))
    for env, expected in ((dev, 0), (with_exec, 1)):
        stage = cdk.Stage(cdk.App(), "Dev")
        sns.Topic(cdk.Stack(stage, "Service"), "Topic")
        # Off: not applied, and not refused as stale either; on: applied to the one construct.
        assert len(apply_acknowledgements(stage, env, load_acknowledgements(path))) == expected


def test_wildcard_entries_under_one_construct_each_match_their_own_children(tmp_path: Path) -> None:
    import aws_cdk as cdk

    from compliance.acknowledgements import Scope, apply_stack_acknowledgements

    path = write(
        tmp_path,
        """
[[acknowledgement]]
scope = "baseline"
path = "Roles/*DriftPolicy/Resource"
findings = ["AwsSolutions::AwsSolutions-IAM5[Resource::*]"]
reason = "drift detection reads every resource type; describe calls support no resource level permissions"

[[acknowledgement]]
scope = "baseline"
path = "Roles/*DriftReadPolicy*/Resource"
findings = ["AwsSolutions::AwsSolutions-IAM5[Action::ec2:Describe*]"]
reason = "drift detection reads every resource type; describe calls support no resource level permissions"
""",
    )
    app = cdk.App()
    stack = cdk.Stack(app, "Baseline")
    roles = cdk.Resource(stack, "Roles")
    for name in ("DevDriftPolicy", "QaDriftPolicy", "DevDriftReadPolicy1", "DevDriftReadPolicy2", "Other"):
        cdk.CfnResource(cdk.Resource(roles, name), "Resource", type="AWS::IAM::ManagedPolicy")
    applied = apply_stack_acknowledgements(stack, Scope.BASELINE, load_acknowledgements(path))
    assert sorted((a.construct_path, a.finding) for a in applied) == [
        ("Roles/DevDriftPolicy/Resource", "AwsSolutions::AwsSolutions-IAM5[Resource::*]"),
        ("Roles/DevDriftReadPolicy1/Resource", "AwsSolutions::AwsSolutions-IAM5[Action::ec2:Describe*]"),
        ("Roles/DevDriftReadPolicy2/Resource", "AwsSolutions::AwsSolutions-IAM5[Action::ec2:Describe*]"),
        ("Roles/QaDriftPolicy/Resource", "AwsSolutions::AwsSolutions-IAM5[Resource::*]"),
    ]
