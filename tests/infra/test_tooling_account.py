"""A pipeline in its own tooling account: each environment repository it reaches across accounts admits
exactly the release roles that push to it and pull from it, those roles get the names the policies use,
the whole app still passes every rule pack, and a setup within one account adds nothing.

The shipped config names no account, so the cross-account case is synthesized here from a copy of it:
dev shares the tooling account, qa has its own, staging, uat and prod share a third.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path

import pytest

from config import ConfigError, load_delivery, load_environments
from config.image_access import image_repository_access
from config.loader import CONFIG_DIR, ENVIRONMENT_NAMES
from config.model import ImageRepositoryAccess
from tests.conftest import new_app

TOOLING = "333333333333"
ACCOUNTS = {
    "dev": TOOLING,
    "qa": "111111111111",
    "staging": "222222222222",
    "uat": "222222222222",
    "prod": "222222222222",
}
PUSH = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:CompleteLayerUpload",
    "ecr:GetDownloadUrlForLayer",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
]
PULL = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
ENVIRONMENTS = load_environments()


def copy_config(target: Path, accounts: dict[str, str], tooling: str | None) -> Path:
    shutil.copytree(CONFIG_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    for name, account in accounts.items():
        path = target / f"{name}.toml"
        path.write_text(f'account = "{account}"\n' + path.read_text())
    if tooling is not None:
        delivery = target / "delivery.toml"
        text = delivery.read_text()
        assert '# account = "111111111111"' in text
        delivery.write_text(text.replace('# account = "111111111111"', f'account = "{tooling}"'))
    return target


@pytest.fixture(scope="module")
def tooling_app(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from config.baselines import load_baselines
    from stacks.platform import build_platform

    config_dir = copy_config(tmp_path_factory.mktemp("tooling") / "config", ACCOUNTS, TOOLING)
    outdir = tmp_path_factory.mktemp("tooling-cdk.out")
    app = new_app(outdir)
    platform = build_platform(
        app,
        load_environments(None, config_dir),
        baselines=load_baselines(None, config_dir),
        delivery=load_delivery(config_dir),
    )
    # A refused synth raises here: every rule pack must pass with accounts named.
    assembly = app.synth()
    data = {}
    for stage in platform.stages:
        stack = assembly.get_nested_assembly(f"assembly-{stage.stage_name}").get_stack_by_name(
            f"{stage.stage_name}-Data"
        )
        data[stage.env_config.name] = json.loads(Path(stack.template_full_path).read_text())
    delivery = json.loads(
        Path(assembly.get_stack_artifact(platform.delivery.artifact_id).template_full_path).read_text()
    )
    report = json.loads((outdir / "validation-report.json").read_text())
    return {"data": data, "delivery": delivery, "report": report}


def repository(template: dict) -> dict:
    [resource] = [r for r in template["Resources"].values() if r["Type"] == "AWS::ECR::Repository"]
    return resource["Properties"]


def admit(sid: str, actions: list[str], *roles: str) -> dict:
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{TOOLING}:root"},
        "Action": actions,
        "Condition": {"StringEquals": {"aws:PrincipalArn": [f"arn:aws:iam::{TOOLING}:role/{r}" for r in roles]}},
    }


PUSHERS = "ReleaseRolesOfTheToolingAccountPush"
PULLER = "NextReleaseRoleOfTheToolingAccountPulls"
EXPECTED_POLICY = {
    # dev shares the tooling account: the release roles' identity policies are enough.
    "dev": None,
    # qa's release step pushes; staging's copies the image out of qa.
    "qa": [admit(PUSHERS, PUSH, "delivery-release-image-qa"), admit(PULLER, PULL, "delivery-release-image-staging")],
    "staging": [
        admit(PUSHERS, PUSH, "delivery-release-image-staging"),
        admit(PULLER, PULL, "delivery-release-image-uat"),
    ],
    "uat": [admit(PUSHERS, PUSH, "delivery-release-image-uat"), admit(PULLER, PULL, "delivery-release-image-prod")],
    # Nothing follows prod.
    "prod": [admit(PUSHERS, PUSH, "delivery-release-image-prod")],
}


# --- across accounts ------------------------------------------------------------------------------


def test_every_rule_pack_passes_with_accounts_named(tooling_app: dict) -> None:
    packs = {plugin["pluginName"]: plugin for plugin in tooling_app["report"]["pluginReports"]}
    assert {"AwsSolutions", "NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321"} <= set(packs)
    for name, plugin in packs.items():
        assert plugin["violations"] == [], name
        assert plugin["conclusion"] == "success", name


@pytest.mark.parametrize("env", list(EXPECTED_POLICY))
def test_repository_admits_exactly_the_tooling_accounts_release_roles(tooling_app: dict, env: str) -> None:
    policy = repository(tooling_app["data"][env]).get("RepositoryPolicyText")
    expected = EXPECTED_POLICY[env]
    if expected is None:
        assert policy is None
        return
    # Exact, actions and role ARNs in order: a widened statement, or one more, fails.
    assert policy == {"Version": "2012-10-17", "Statement": expected}


def test_no_repository_policy_names_a_wildcard_or_another_account(tooling_app: dict) -> None:
    for env, template in tooling_app["data"].items():
        text = json.dumps(repository(template).get("RepositoryPolicyText", {}))
        assert "*" not in text, env
        assert set(re.findall(r"\d{12}", text)) <= {TOOLING}, env


def test_exactly_the_admitted_roles_get_fixed_names(tooling_app: dict) -> None:
    named = {
        r["Metadata"]["aws:cdk:path"]: r["Properties"]["RoleName"]
        for r in tooling_app["delivery"]["Resources"].values()
        if r["Type"] == "AWS::IAM::Role" and "RoleName" in r["Properties"]
    }
    assert named == {
        f"Delivery/Delivery/Pipeline/Pipeline/{stage}/ReleaseImage/ReleaseImage/Role/Resource": (
            f"delivery-release-image-{stage.lower()}"
        )
        for stage in ("Qa", "Staging", "Uat", "Prod")
    }


def test_each_release_role_may_push_to_its_own_repository_in_its_account(tooling_app: dict) -> None:
    # The other half of a cross-account call: the role's own identity policy names the same repository.
    resources = tooling_app["delivery"]["Resources"]
    for env in ("qa", "prod"):
        stage = env.capitalize()
        path = f"Delivery/Delivery/Pipeline/Pipeline/{stage}/ReleaseImage/ReleaseImage/Role/DefaultPolicy/Resource"
        [policy] = [r for r in resources.values() if r.get("Metadata", {}).get("aws:cdk:path") == path]
        [push] = [
            s
            for s in policy["Properties"]["PolicyDocument"]["Statement"]
            if s.get("Sid") == "PushToTheEnvironmentRepository"
        ]
        assert push["Resource"] == f"arn:aws:ecr:eu-central-1:{ACCOUNTS[env]}:repository/{env}/polls"
        assert set(PUSH) <= set(push["Action"])


# --- within one account ---------------------------------------------------------------------------


def test_within_one_account_nothing_is_added(synthesized) -> None:
    # The shipped config names no account: identity policies alone, generated role names.
    for env in ENVIRONMENTS:
        assert "RepositoryPolicyText" not in repository(synthesized.template(env.stage_id, "Data")), env.name
    roles = [r for r in synthesized.delivery_template["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    assert [r["Metadata"]["aws:cdk:path"] for r in roles if "RoleName" in r["Properties"]] == []


# --- the rule behind it, without a synth -----------------------------------------------------------


def with_accounts(tooling: str | None, accounts: dict[str, str | None]):
    delivery = dataclasses.replace(load_delivery(), account=tooling)
    return delivery, {e.name: dataclasses.replace(e, account=accounts.get(e.name)) for e in ENVIRONMENTS}


def test_the_first_environment_also_admits_the_publishing_role() -> None:
    # Given every environment in one account, apart from the tooling account
    delivery, envs = with_accounts(TOOLING, dict.fromkeys(ENVIRONMENT_NAMES, "111111111111"))
    # Then dev admits the scan stage's publish role beside its release role, and qa's release role to pull
    assert image_repository_access(delivery, envs["dev"]) == ImageRepositoryAccess(
        tooling_account=TOOLING,
        push_roles=("delivery-release-image-dev", "delivery-publish-image"),
        pull_roles=("delivery-release-image-qa",),
    )
    assert image_repository_access(delivery, envs["prod"]) == ImageRepositoryAccess(
        tooling_account=TOOLING, push_roles=("delivery-release-image-prod",), pull_roles=()
    )


@pytest.mark.parametrize(
    ("tooling", "account"),
    [(None, None), (TOOLING, None), (TOOLING, TOOLING)],
    ids=["no-accounts", "environment-in-the-pipelines-account", "same-account"],
)
def test_no_access_within_one_account(tooling: str | None, account: str | None) -> None:
    delivery, envs = with_accounts(tooling, {"qa": account})
    assert image_repository_access(delivery, envs["qa"]) is None
    assert image_repository_access(None, envs["qa"]) is None


def test_environments_naming_accounts_without_a_tooling_account_are_refused(tmp_path: Path) -> None:
    # Given environment accounts but no tooling account / Then the loader names the field instead of a jsii error
    config_dir = copy_config(tmp_path / "config", ACCOUNTS, tooling=None)
    with pytest.raises(ConfigError) as raised:
        load_delivery(config_dir)
    [problem] = raised.value.problems
    assert problem.startswith("delivery.toml: field 'account' is missing while environments 'dev' (333333333333)")
    assert "name the tooling account the pipeline runs in" in problem
