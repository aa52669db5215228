"""The drift roles' per-service reads: the table in components/drift_reads.py against the registry schemas
cfn-lint ships and against the synthesized environments, and each drift role's policies against the table.

CloudFormation drift detection calls each resource type's read handler with the caller's permissions, so a
drift role must hold, for every type in its environment's stacks, what that handler needs: the type's
registry schema `handlers.read.permissions`, minus the reviewed exclusions in `LEFT_OUT`.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from pathlib import Path

import cfnlint
import pytest

from components.drift_reads import CUSTOM_RESOURCE_PREFIX, DRIFT_READS, LEFT_OUT, NOT_CHECKED, drift_reads
from components.managed_policies import (
    MANAGED_POLICY_MAX_CHARS,
    allow_on_everything,
    document_size,
    split_actions,
)
from config import load_environments
from tests.conftest import new_app

ENVIRONMENTS = load_environments()
SCHEMAS = Path(cfnlint.__file__).resolve().parent / "data" / "schemas"
# Reads a drift role must never hold, whatever a schema says: secret values, object contents, decryption.
NEVER = {"secretsmanager:GetSecretValue", "s3:GetObject", "kms:Decrypt", "ssm:GetParameter", "ssm:GetParameters"}
READ_VERB = re.compile(r"^[a-z0-9-]+:(Describe|Get|List)[A-Za-z0-9]+$")


def schema(resource_type: str, region: str) -> dict:
    providers = json.loads((SCHEMAS / "providers" / f"{region}.json").read_text())
    return json.loads((SCHEMAS / "resources" / f"{providers[resource_type]}.json").read_text())


def schema_reads(resource_type: str) -> set[str]:
    """The read handler's permissions, the same in every region an environment deploys into."""
    found = {
        region: frozenset(schema(resource_type, region)["handlers"]["read"]["permissions"])
        for region in {env.region for env in ENVIRONMENTS}
    }
    assert len(set(found.values())) == 1, (resource_type, found)
    return set(next(iter(found.values())))


@pytest.fixture(scope="module")
def types_by_environment(synthesized) -> dict[str, set[str]]:
    by_stage: dict[str, set[str]] = {env.stage_id: set() for env in ENVIRONMENTS}
    for (stage, _stack), template in synthesized.templates.items():
        by_stage[stage] |= {resource["Type"] for resource in template["Resources"].values()}
    return {env.name: by_stage[env.stage_id] for env in ENVIRONMENTS}


def checked(resource_types: set[str]) -> set[str]:
    return {t for t in resource_types if not t.startswith(CUSTOM_RESOURCE_PREFIX) and t not in NOT_CHECKED}


# --- the table against the environments -----------------------------------------------------------


def test_every_resource_type_of_every_environment_is_in_the_table(types_by_environment) -> None:
    for env, resource_types in types_by_environment.items():
        assert resource_types, env
        assert sorted(checked(resource_types) - set(DRIFT_READS)) == [], env
    assert not set(DRIFT_READS) & set(NOT_CHECKED)
    # The shipped environments hold types that drift detection skips: the exemptions are exercised.
    every_type = set().union(*types_by_environment.values())
    assert any(t.startswith(CUSTOM_RESOURCE_PREFIX) for t in every_type)
    assert "AWS::IAM::Policy" in every_type


def test_the_table_holds_no_type_the_environments_do_not_deploy(types_by_environment) -> None:
    deployed = checked(set().union(*types_by_environment.values()))
    assert set(DRIFT_READS) == deployed
    assert set(LEFT_OUT) <= set(DRIFT_READS)


# --- the table against the registry schemas -------------------------------------------------------


@pytest.mark.parametrize("resource_type", sorted(DRIFT_READS))
def test_reads_are_the_schemas_read_permissions_minus_the_reviewed_exclusions(resource_type: str) -> None:
    reads = DRIFT_READS[resource_type]
    left_out = LEFT_OUT.get(resource_type, {})
    assert list(reads) == sorted(set(reads)), "sorted, each once"
    assert not set(reads) & set(left_out)
    assert set(reads) | set(left_out) == schema_reads(resource_type)
    for action, reason in left_out.items():
        assert len(reason.split()) >= 8, f"a reason, not a label: {action}"


@pytest.mark.parametrize("resource_type", [*sorted(NOT_CHECKED), "AWS::CloudFormation::CustomResource"])
def test_types_exempt_from_drift_detection_have_no_read_handler(resource_type: str) -> None:
    for region in {env.region for env in ENVIRONMENTS}:
        assert "read" not in schema(resource_type, region).get("handlers", {}), (resource_type, region)


def test_every_read_is_read_only_and_none_reveals_a_secret() -> None:
    actions = {action for reads in DRIFT_READS.values() for action in reads}
    assert [a for a in sorted(actions) if not READ_VERB.match(a)] == []
    assert not actions & NEVER
    # The exclusions exist because schemas do list such permissions under read.
    assert "kms:Decrypt" in LEFT_OUT["AWS::Lambda::Function"]
    assert "iam:PassRole" in LEFT_OUT["AWS::Events::Rule"]


def test_every_read_is_an_action_iam_knows() -> None:
    # IAM's service reference as cfn-lint ships it (its rule W3037 reads the same file); newer than parliament's.
    known = json.loads((SCHEMAS.parent / "AdditionalSpecs" / "Policies.json").read_text())
    actions = sorted({action for reads in DRIFT_READS.values() for action in reads})
    unknown = [a for a in actions if a.split(":")[1].lower() not in known[a.split(":")[0]]["Actions"]]
    assert unknown == []
    lattice = "vpc-lattice:DescribeServiceNetworkVpcEndpointAssociation"
    assert lattice in LEFT_OUT["AWS::EC2::VPCEndpoint"]
    assert lattice.split(":")[1].lower() not in known["vpc-lattice"]["Actions"]


def test_a_type_without_known_reads_fails_naming_the_table() -> None:
    assert drift_reads(["Custom::Anything", "AWS::IAM::Policy", "AWS::CDK::Metadata"]) == ()
    assert drift_reads(["AWS::EC2::Route", "AWS::EC2::RouteTable"]) == ("ec2:DescribeRouteTables",)
    with pytest.raises(ValueError, match=r"AWS::Example::Thing: add .*components/drift_reads\.py"):
        drift_reads(["AWS::EC2::VPC", "AWS::Example::Thing"])


# --- each drift role against the table ------------------------------------------------------------


def read_policies(template: dict, env) -> list[dict]:
    """The drift role's read policies: `<Stage>DriftReadPolicy`, then `...2`, `...3` when split."""
    prefix = f"Delivery/DeployRoles/{env.stage_id}DriftReadPolicy"
    policies = {
        resource["Metadata"]["aws:cdk:path"].removeprefix(prefix): resource["Properties"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::IAM::ManagedPolicy"
        and resource.get("Metadata", {}).get("aws:cdk:path", "").startswith(prefix)
    }
    assert list(policies) == ["/Resource"] + [f"{n}/Resource" for n in range(2, len(policies) + 1)]
    return list(policies.values())


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda e: e.name)
def test_drift_role_holds_exactly_the_reads_of_its_environments_types(synthesized, types_by_environment, env) -> None:
    template = synthesized.delivery_template
    [role_id] = [
        k
        for k, r in template["Resources"].items()
        if r.get("Metadata", {}).get("aws:cdk:path") == f"Delivery/DeployRoles/{env.stage_id}DriftRole/Resource"
    ]
    expected = set()
    for resource_type in checked(types_by_environment[env.name]):
        expected |= set(DRIFT_READS[resource_type])
    granted: list[str] = []
    for policy in read_policies(template, env):
        assert policy["Roles"] == [{"Ref": role_id}]
        [statement] = policy["PolicyDocument"]["Statement"]
        assert set(statement) == {"Sid", "Effect", "Action", "Resource"}
        assert (statement["Effect"], statement["Resource"]) == ("Allow", "*")
        granted += [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
    assert sorted(granted) == sorted(expected)


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda e: e.name)
def test_every_drift_read_policy_fits_iams_size_quota(synthesized, env) -> None:
    for policy in read_policies(synthesized.delivery_template, env):
        document = policy["PolicyDocument"]
        size = len(json.dumps(document, separators=(",", ":")))
        assert size <= MANAGED_POLICY_MAX_CHARS, (env.name, size)
        # The construct measures a statement as it renders it: never less than the deployed document.
        [statement] = document["Statement"]
        actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        assert document_size([allow_on_everything(statement["Sid"], actions)]) >= size


# --- IAM's size quota ---------------------------------------------------------------------------------


def test_split_actions_cuts_where_a_policy_would_pass_the_quota() -> None:
    actions = [f"service:DescribeSomethingRatherLong{n:04d}" for n in range(400)]
    groups = split_actions(actions, sid="Reads", max_policies=10)
    assert len(groups) > 1
    assert [a for group in groups for a in group] == actions
    sizes = [document_size([allow_on_everything("Reads", group)]) for group in groups]
    assert max(sizes) <= MANAGED_POLICY_MAX_CHARS
    # Each cut is forced: one more action would not have fitted.
    for group, following in itertools.pairwise(groups):
        assert document_size([allow_on_everything("Reads", [*group, following[0]])]) > MANAGED_POLICY_MAX_CHARS


def test_split_actions_keeps_a_policy_of_exactly_the_quota_whole() -> None:
    base = document_size([allow_on_everything("Reads", ["service:Get"])])
    padded = "service:Get" + "x" * (MANAGED_POLICY_MAX_CHARS - base)
    assert document_size([allow_on_everything("Reads", [padded])]) == MANAGED_POLICY_MAX_CHARS
    assert split_actions([padded], sid="Reads", max_policies=1) == [(padded,)]
    with pytest.raises(ValueError, match="alone does not fit"):
        split_actions([padded + "y"], sid="Reads", max_policies=1)


def test_split_actions_refuses_more_policies_than_may_be_attached() -> None:
    actions = [f"service:DescribeSomethingRatherLong{n:04d}" for n in range(400)]
    with pytest.raises(ValueError, match=r"need \d+ managed policies .* at most 1 may be attached"):
        split_actions(actions, sid="Reads", max_policies=1)


def test_drift_reads_beyond_one_policy_are_split_into_numbered_policies(tmp_path: Path, monkeypatch) -> None:
    # Given a quota small enough that one environment's reads need several policies
    import aws_cdk as cdk

    from components import deploy_roles

    limit = 1500
    monkeypatch.setattr(deploy_roles, "split_actions", functools.partial(split_actions, limit=limit))
    app = new_app(tmp_path)
    stack = cdk.Stack(app, "Delivery")
    dev = ENVIRONMENTS[0]
    # When the roles are built for every type the platform deploys
    deploy_roles.DeployRoles(
        stack, "DeployRoles", environments=[dev], resource_types={dev.name: set(DRIFT_READS)}, gitlab=None
    )
    template = app.synth().get_stack_artifact(stack.artifact_id).template
    # Then the reads are spread over <Stage>DriftReadPolicy, ...2, ..., each within the quota, none lost
    policies = read_policies(template, dev)
    assert len(policies) > 2
    granted = []
    for number, policy in enumerate(policies, start=1):
        assert len(json.dumps(policy["PolicyDocument"], separators=(",", ":"))) <= limit
        assert policy["Description"].endswith(f"(part {number} of {len(policies)})")
        [statement] = policy["PolicyDocument"]["Statement"]
        granted += statement["Action"]
    assert granted == list(drift_reads(DRIFT_READS))
