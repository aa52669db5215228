"""The Delivery stack: OIDC roles asserted exactly, the pipeline's shape and buildspecs, the findings gate,
IAM policies through parliament, the scan entry point run for real, and a snapshot.

Expected values are built from config here, not taken from the constructs under test, so a change in
either shows up as a failure.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from config import load_delivery, load_environments
from config.loader import CONFIG_DIR
from delivery.tools import load_tools
from tests.conftest import REPO_ROOT, new_app
from tests.infra.test_snapshots import masked

GITHUB = "token.actions.githubusercontent.com"
PROVIDER = {
    "Fn::Join": [
        "",
        ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"}, f":oidc-provider/{GITHUB}"],
    ]
}
BOOTSTRAP_KINDS = ("deploy", "file-publishing", "image-publishing", "lookup")
PARLIAMENT = REPO_ROOT / ".venv-scanners" / "bin" / "parliament"
PARLIAMENT_EXCEPTIONS = REPO_ROOT / "compliance" / "parliament-exceptions.toml"
ENVIRONMENTS = load_environments()
DELIVERY = load_delivery()
REPOSITORY = ENVIRONMENTS[0].repository
PRODUCT = "arn:<AWS::Partition>:securityhub:<AWS::Region>:<AWS::AccountId>:product/<AWS::AccountId>/default"


# --- helpers ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(synthesized) -> dict:
    assert synthesized.delivery_template is not None, "the shipped config builds the Delivery stack"
    return synthesized.delivery_template


def by_path(template: dict, path: str) -> dict:
    """The resource at construct path `Delivery/<path>/Resource` (logical ids carry hashes)."""
    [resource] = [
        r for r in template["Resources"].values() if r.get("Metadata", {}).get("aws:cdk:path") == f"Delivery/{path}"
    ]
    return resource


def of_type(template: dict, resource_type: str) -> dict[str, dict]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == resource_type}


def render(value: Any) -> Any:
    """CloudFormation intrinsics as readable strings: `{"Ref": "X"}` -> `<X>`, GetAtt -> `<Id.Attr>`."""
    if isinstance(value, dict) and len(value) == 1:
        [(key, arg)] = value.items()
        if key == "Ref":
            return f"<{arg}>"
        if key == "Fn::GetAtt":
            return f"<{arg[0]}.{arg[1]}>"
        if key == "Fn::Join":
            return arg[0].join(str(render(part)) for part in arg[1])
    if isinstance(value, dict):
        return {key: render(item) for key, item in value.items()}
    if isinstance(value, list):
        return [render(item) for item in value]
    return value


def trust(subject: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Effect": "Allow",
                "Principal": {"Federated": PROVIDER},
                "Condition": {"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com", f"{GITHUB}:sub": subject}},
            }
        ],
    }


def expected_deploy_subject(env) -> str:
    # Reviewers (approval_required) -> the GitHub environment; otherwise the exact branch.
    context = f"environment:{env.name}" if env.approval_required else f"ref:refs/heads/{env.branch}"
    return f"repo:{REPOSITORY.owner}/{REPOSITORY.name}:{context}"


def bootstrap_arn(env, kind: str) -> str:
    account = env.account or "<AWS::AccountId>"
    return f"arn:<AWS::Partition>:iam::{account}:role/cdk-hnb659fds-{kind}-role-{account}-{env.region}"


def managed_policies_of(template: dict, role_id: str) -> list[dict]:
    return [
        p["Properties"]
        for p in of_type(template, "AWS::IAM::ManagedPolicy").values()
        if {"Ref": role_id} in p["Properties"].get("Roles", [])
    ]


def role_id(template: dict, path: str) -> str:
    [logical_id] = [
        k
        for k, r in template["Resources"].items()
        if r.get("Metadata", {}).get("aws:cdk:path") == f"Delivery/{path}/Resource"
    ]
    return logical_id


def inline_policies_of(template: dict, logical_id: str) -> list[dict]:
    return [
        p["Properties"]
        for p in of_type(template, "AWS::IAM::Policy").values()
        if {"Ref": logical_id} in p["Properties"].get("Roles", [])
    ]


# --- trust policies -----------------------------------------------------------------------------


def test_shipped_subjects_are_the_documented_ones() -> None:
    # Spelled out once: dev and qa deploy from their branch, the reviewed environments from a GitHub environment.
    repo = "repo:example-org/aws-devsecops-platform"
    assert {env.name: expected_deploy_subject(env) for env in ENVIRONMENTS} == {
        "dev": f"{repo}:ref:refs/heads/develop",
        "qa": f"{repo}:ref:refs/heads/qa",
        "staging": f"{repo}:environment:staging",
        "uat": f"{repo}:environment:uat",
        "prod": f"{repo}:environment:prod",
    }


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda e: e.name)
def test_deploy_role_trust_policy_is_exact(template: dict, env) -> None:
    props = by_path(template, f"DeployRoles/{env.stage_id}DeployRole/Resource")["Properties"]
    assert props["AssumeRolePolicyDocument"] == trust(expected_deploy_subject(env))
    assert props["MaxSessionDuration"] == 3600
    assert "ManagedPolicyArns" not in props
    assert "Policies" not in props


def test_diff_role_trusts_pull_requests_only(template: dict) -> None:
    props = by_path(template, "DeployRoles/DiffRole/Resource")["Properties"]
    assert props["AssumeRolePolicyDocument"] == trust(f"repo:{REPOSITORY.full_name}:pull_request")
    assert props["MaxSessionDuration"] == 3600


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda e: e.name)
def test_drift_role_trusts_the_default_branch_only(template: dict, env) -> None:
    props = by_path(template, f"DeployRoles/{env.stage_id}DriftRole/Resource")["Properties"]
    assert props["AssumeRolePolicyDocument"] == trust(f"repo:{REPOSITORY.full_name}:ref:refs/heads/main")
    assert props["MaxSessionDuration"] == 3600
    assert "ManagedPolicyArns" not in props


def test_pull_request_subject_only_on_the_diff_role(template: dict) -> None:
    with_pr = sorted(
        r["Metadata"]["aws:cdk:path"]
        for r in of_type(template, "AWS::IAM::Role").values()
        if "pull_request" in json.dumps(r["Properties"]["AssumeRolePolicyDocument"])
    )
    assert with_pr == ["Delivery/DeployRoles/DiffRole/Resource"]


def widen_subject(doc: dict) -> None:
    doc["Statement"][0]["Condition"]["StringEquals"][f"{GITHUB}:sub"] = f"repo:{REPOSITORY.full_name}:*"


def add_action(doc: dict) -> None:
    doc["Statement"][0]["Action"] = ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]


def drop_audience(doc: dict) -> None:
    del doc["Statement"][0]["Condition"]["StringEquals"][f"{GITHUB}:aud"]


def like_instead_of_equals(doc: dict) -> None:
    condition = doc["Statement"][0]["Condition"]
    condition["StringLike"] = condition.pop("StringEquals")


@pytest.mark.parametrize("mutate", [widen_subject, add_action, drop_audience, like_instead_of_equals])
def test_the_trust_assertion_catches_a_weakened_policy(template: dict, mutate) -> None:
    # Given the synthesized prod trust policy, weakened one way / Then it no longer equals the expected one
    prod = ENVIRONMENTS[-1]
    doc = copy.deepcopy(by_path(template, "DeployRoles/ProdDeployRole/Resource")["Properties"])
    doc = doc["AssumeRolePolicyDocument"]
    assert doc == trust(expected_deploy_subject(prod))
    mutate(doc)
    assert doc != trust(expected_deploy_subject(prod))


# --- permissions --------------------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda e: e.name)
def test_deploy_role_may_only_assume_its_environments_bootstrap_roles(template: dict, env) -> None:
    logical_id = role_id(template, f"DeployRoles/{env.stage_id}DeployRole")
    [policy] = managed_policies_of(template, logical_id)
    assert render(policy["PolicyDocument"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AssumeBootstrapRoles",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": [bootstrap_arn(env, kind) for kind in BOOTSTRAP_KINDS],
            }
        ],
    }
    assert inline_policies_of(template, logical_id) == []


def test_diff_role_may_only_assume_lookup_roles(template: dict) -> None:
    logical_id = role_id(template, "DeployRoles/DiffRole")
    [policy] = managed_policies_of(template, logical_id)
    lookups = sorted({bootstrap_arn(env, "lookup") for env in ENVIRONMENTS})
    assert render(policy["PolicyDocument"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AssumeLookupRoles",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                # One environment account (the shipped config): CloudFormation's single-value form.
                "Resource": lookups[0] if len(lookups) == 1 else lookups,
            }
        ],
    }
    assert inline_policies_of(template, logical_id) == []


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda e: e.name)
def test_drift_role_reads_drift_of_its_environment_and_imports_findings(template: dict, env) -> None:
    logical_id = role_id(template, f"DeployRoles/{env.stage_id}DriftRole")
    # The per-service reads drift detection needs sit in their own policies (tests/infra/test_drift_reads.py).
    [policy] = [
        p for p in managed_policies_of(template, logical_id) if p["Description"].endswith("import the findings")
    ]
    assert policy == by_path(template, f"DeployRoles/{env.stage_id}DriftPolicy/Resource")["Properties"]
    account = env.account or "<AWS::AccountId>"
    assert render(policy["PolicyDocument"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DetectDriftOfTheEnvironmentStacks",
                "Effect": "Allow",
                "Action": [
                    "cloudformation:DescribeStackResourceDrifts",
                    "cloudformation:DescribeStacks",
                    "cloudformation:DetectStackDrift",
                    "cloudformation:DetectStackResourceDrift",
                ],
                "Resource": f"arn:<AWS::Partition>:cloudformation:{env.region}:{account}:stack/{env.stage_id}-*/*",
            },
            {
                "Sid": "PollDriftDetection",
                "Effect": "Allow",
                "Action": "cloudformation:DescribeStackDriftDetectionStatus",
                "Resource": "*",
            },
            {
                "Sid": "ImportFindingsIntoTheDefaultProduct",
                "Effect": "Allow",
                "Action": "securityhub:BatchImportFindings",
                "Resource": PRODUCT,
            },
            {
                "Sid": "ReadFindingsOfThisAccount",
                "Effect": "Allow",
                "Action": "securityhub:GetFindings",
                "Resource": "arn:<AWS::Partition>:securityhub:<AWS::Region>:<AWS::AccountId>:hub/default",
            },
        ],
    }
    assert inline_policies_of(template, logical_id) == []


def test_drift_role_arns_are_output_as_the_repository_variable(template: dict) -> None:
    # drift.yml reads vars.AWS_DRIFT_ROLE_ARNS: a JSON object, environment name -> role ARN.
    [output] = [o for k, o in template["Outputs"].items() if k.startswith("DeployRolesDriftRoleArns")]
    rendered = render(output["Value"])
    assert json.loads(re.sub(r"<([A-Za-z0-9]+)\.Arn>", r"\1", rendered)) == {
        env.name: role_id(template, f"DeployRoles/{env.stage_id}DriftRole") for env in ENVIRONMENTS
    }
    workflow = (REPO_ROOT / ".github" / "workflows" / "drift.yml").read_text()
    assert "vars.AWS_DRIFT_ROLE_ARNS" in workflow


# What drift detection of an AWS::IAM::Role reads: the only IAM actions any OIDC role holds.
DRIFT_IAM_READS = {"iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies"}


def test_no_oidc_role_holds_iam_actions_or_managed_aws_policies(template: dict) -> None:
    roles = {"DiffRole": role_id(template, "DeployRoles/DiffRole")}
    for env in ENVIRONMENTS:
        for kind in ("DeployRole", "DriftRole"):
            roles[f"{env.stage_id}{kind}"] = role_id(template, f"DeployRoles/{env.stage_id}{kind}")
    for name, logical_id in roles.items():
        assert "ManagedPolicyArns" not in template["Resources"][logical_id]["Properties"], name
        documents = [p["PolicyDocument"] for p in managed_policies_of(template, logical_id)]
        actions = [a for d in documents for s in d["Statement"] for a in always_list(s["Action"])]
        iam_actions = {a for a in actions if a.startswith("iam:")}
        assert iam_actions == (DRIFT_IAM_READS if name.endswith("DriftRole") else set()), name
        assert not [a for a in actions if "*" in a], name


def always_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


# --- parliament ---------------------------------------------------------------------------------

# Placeholders parliament can parse: a pseudo parameter becomes its usual value, a reference to a
# resource an ARN of that resource's type (parliament checks actions against resource formats).
PSEUDO = {"AWS::Partition": "aws", "AWS::AccountId": "123456789012", "AWS::Region": "eu-central-1"}
ARN_OF_TYPE = {
    "AWS::KMS::Key": "arn:aws:kms:eu-central-1:123456789012:key/placeholder",
    "AWS::S3::Bucket": "arn:aws:s3:::placeholder",
    "AWS::Logs::LogGroup": "arn:aws:logs:eu-central-1:123456789012:log-group:placeholder:*",
    "AWS::Lambda::Function": "arn:aws:lambda:eu-central-1:123456789012:function:placeholder",
    "AWS::CodeBuild::Project": "arn:aws:codebuild:eu-central-1:123456789012:project/placeholder",
    "AWS::IAM::Role": "arn:aws:iam::123456789012:role/placeholder",
    "AWS::SQS::Queue": "arn:aws:sqs:eu-central-1:123456789012:placeholder",
    "AWS::SNS::Topic": "arn:aws:sns:eu-central-1:123456789012:placeholder",
    "AWS::Signer::SigningProfile": "arn:aws:signer:eu-central-1:123456789012:/signing-profiles/placeholder",
    "AWS::CodePipeline::Pipeline": "arn:aws:codepipeline:eu-central-1:123456789012:placeholder",
    "AWS::ECR::Repository": "arn:aws:ecr:eu-central-1:123456789012:repository/placeholder",
    "AWS::SecretsManager::Secret": "arn:aws:secretsmanager:eu-central-1:123456789012:secret:placeholder",
    "AWS::RDS::DBInstance": "arn:aws:rds:eu-central-1:123456789012:db:placeholder",
}
# Ref of these types is an ARN; of any other, a name.
REF_IS_ARN = {"AWS::SNS::Topic", "AWS::IAM::ManagedPolicy"}


def placeholder(value: Any, resources: dict) -> Any:  # noqa: PLR0911, PLR0912 - one case per intrinsic
    if isinstance(value, dict) and len(value) == 1:
        [(key, arg)] = value.items()
        if key == "Ref":
            if arg in PSEUDO:
                return PSEUDO[arg]
            kind = resources.get(arg, {}).get("Type")
            return ARN_OF_TYPE.get(kind, "placeholder") if kind in REF_IS_ARN else "placeholder"
        if key == "Fn::GetAtt":
            kind = resources.get(arg[0], {}).get("Type")
            return ARN_OF_TYPE.get(kind, "arn:aws:s3:::placeholder") if arg[1] == "Arn" else "placeholder"
        if key == "Fn::Join":
            return arg[0].join(str(placeholder(part, resources)) for part in arg[1])
        if key == "Fn::Sub" and isinstance(arg, str):
            return re.sub(r"\$\{([^}]+)\}", lambda m: PSEUDO.get(m.group(1), "placeholder"), arg)
        if key == "Fn::GetStackOutput":
            # A value of another stage stack: its output name says which kind of resource it is.
            for hint, kind in (
                ("Secret", "AWS::SecretsManager::Secret"),
                ("Repository", "AWS::ECR::Repository"),
                ("Key", "AWS::KMS::Key"),
            ):
                if hint in arg["OutputName"]:
                    return ARN_OF_TYPE[kind]
            return "placeholder"
        if key.startswith("Fn::"):
            return "placeholder"
    if isinstance(value, dict):
        return {k: placeholder(v, resources) for k, v in value.items()}
    if isinstance(value, list):
        return [placeholder(v, resources) for v in value]
    # IAM compares condition values as strings; parliament's type checks expect them so.
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    return value


def identity_policies(name: str, template: dict) -> dict[str, dict]:
    """Every identity policy document of a template, keyed `<template>/<construct path>`."""
    resources = template["Resources"]
    documents: dict[str, dict] = {}
    for logical_id, resource in resources.items():
        path = resource.get("Metadata", {}).get("aws:cdk:path", logical_id)
        props = resource.get("Properties", {})
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            documents[f"{name}:{path}"] = placeholder(props["PolicyDocument"], resources)
        for index, inline in enumerate(props.get("Policies", []) if resource["Type"] == "AWS::IAM::Role" else []):
            documents[f"{name}:{path}#{index}"] = placeholder(inline["PolicyDocument"], resources)
    return documents


@pytest.fixture(scope="module")
def parliament_findings(synthesized, tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str, str, str]]:
    templates = {"Delivery": synthesized.delivery_template}
    templates |= {f"{stage}-{stack}": t for (stage, stack), t in synthesized.templates.items()}
    templates |= dict(synthesized.baseline_templates)
    directory = tmp_path_factory.mktemp("policies")
    names: dict[str, str] = {}
    for name, template in templates.items():
        for key, document in identity_policies(name, template).items():
            file = directory / f"policy{len(names):04d}.json"
            file.write_text(json.dumps(document))
            names[str(file)] = key
    assert len(names) > 50, "the policies of every template, not a few"
    result = subprocess.run(
        [str(PARLIAMENT), "--directory", str(directory), "--include_policy_extension", "json", "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode in (0, 1), result.stderr
    assert not result.stderr.strip(), result.stderr
    findings = set()
    for line in result.stdout.splitlines():
        finding = json.loads(line)
        key = names[finding["location"]["filepath"]]
        findings.add((key, finding["issue"], json.dumps(finding.get("detail"), sort_keys=True)))
    return findings


def test_parliament_reports_nothing_but_the_reviewed_exceptions(parliament_findings) -> None:
    listed = tomllib.loads(PARLIAMENT_EXCEPTIONS.read_text())["exception"]
    for entry in listed:
        assert set(entry) == {"policy", "finding", "detail", "reason"}, entry
        assert len(entry["reason"].split()) >= 8, f"a reason, not a label: {entry}"
    expected = {(e["policy"], e["finding"], e["detail"]) for e in listed}
    unlisted = sorted(parliament_findings - expected)
    stale = sorted(expected - parliament_findings)
    assert unlisted == [], "parliament findings not in compliance/parliament-exceptions.toml:\n" + "\n".join(
        map(str, unlisted)
    )
    assert stale == [], "listed exceptions that no longer occur (remove them):\n" + "\n".join(map(str, stale))


def test_parliament_still_finds_a_bad_policy(tmp_path: Path) -> None:
    # Given a policy with a wrong resource format / Then parliament reports it (the tool works here)
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:iam::123456789012:role/x"}
                ],
            }
        )
    )
    result = subprocess.run(
        [str(PARLIAMENT), "--string", bad.read_text(), "--json"], capture_output=True, text=True, check=False
    )
    assert "RESOURCE_MISMATCH" in result.stdout


# --- the pipeline -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pipeline(template: dict) -> dict:
    [resource] = of_type(template, "AWS::CodePipeline::Pipeline").values()
    return resource["Properties"]


def actions(stage: dict) -> list[str]:
    return [a["Name"] for a in sorted(stage["Actions"], key=lambda a: a["RunOrder"])]


def test_stage_order(pipeline: dict) -> None:
    assert pipeline["PipelineType"] == "V2"
    assert [s["Name"] for s in pipeline["Stages"]] == [
        "Source",
        "Build",
        "UpdatePipeline",
        "Assets",
        "Scan",
        *[env.stage_id for env in ENVIRONMENTS],
    ]
    assert [env.stage_id for env in ENVIRONMENTS] == ["Dev", "Qa", "Staging", "Uat", "Prod"]


def test_trigger_on_the_mapped_branches(pipeline: dict) -> None:
    [trigger] = pipeline["Triggers"]
    assert trigger["ProviderType"] == "CodeStarSourceConnection"
    assert trigger["GitConfiguration"]["Push"] == [{"Branches": {"Includes": [env.branch for env in ENVIRONMENTS]}}]
    assert [env.branch for env in ENVIRONMENTS] == ["develop", "qa", "stable", "uat", "main"]


def test_scan_stage_before_any_deploy(pipeline: dict) -> None:
    names = [s["Name"] for s in pipeline["Stages"]]
    assert actions(pipeline["Stages"][names.index("Scan")]) == ["CodeScan", "Image"]
    deploys = [
        i
        for i, stage in enumerate(pipeline["Stages"])
        if any(a["ActionTypeId"]["Provider"] == "CloudFormation" for a in stage["Actions"])
    ]
    assert deploys
    assert min(deploys) > names.index("Scan")


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda e: e.name)
def test_each_environment_gates_releases_checks_and_approves_before_deploying(pipeline: dict, env) -> None:
    [stage] = [s for s in pipeline["Stages"] if s["Name"] == env.stage_id]
    names = actions(stage)
    before = ["Gate", "ReleaseImage"]
    if env.is_enterprise:
        before += ["CheckBroadening.Check", "CheckBroadening.Confirm"]
    if env.approval_required:
        before.append("Approve")
    stacks = [f"{s}.{step}" for s in ("Keys", "Network", "Data", "Service") for step in ("Prepare", "Deploy")]
    assert names == before + stacks
    gate = next(a for a in stage["Actions"] if a["Name"] == "Gate")
    assert gate["ActionTypeId"]["Provider"] == "Lambda"
    assert json.loads(gate["Configuration"]["UserParameters"]) == {"env": env.name}


def test_approvals_exactly_where_config_asks(pipeline: dict) -> None:
    approved = {s["Name"] for s in pipeline["Stages"] if "Approve" in actions(s)}
    assert approved == {env.stage_id for env in ENVIRONMENTS if env.approval_required}
    assert approved == {"Staging", "Uat", "Prod"}
    broadening = {s["Name"] for s in pipeline["Stages"] if "CheckBroadening.Check" in actions(s)}
    assert broadening == {env.stage_id for env in ENVIRONMENTS if env.is_enterprise}


# --- buildspecs ---------------------------------------------------------------------------------


def buildspec(synthesized, project: dict) -> dict:
    spec = project["Properties"]["Source"]["BuildSpec"]
    if isinstance(spec, dict):
        spec = render(spec)
    elif not spec.lstrip().startswith("{") and spec.endswith(".yaml"):
        spec = (synthesized.outdir / spec).read_text()
    return yaml.safe_load(spec)


def commands(spec: dict) -> list[str]:
    return [str(c) for phase in spec.get("phases", {}).values() for c in phase.get("commands", [])]


@pytest.fixture(scope="module")
def buildspecs(synthesized, template: dict) -> dict[str, list[str]]:
    projects = of_type(template, "AWS::CodeBuild::Project")
    assert len(projects) >= 10
    return {logical_id: commands(buildspec(synthesized, project)) for logical_id, project in projects.items()}


def test_every_tool_download_is_pinned_and_checksum_verified(buildspecs: dict[str, list[str]]) -> None:
    tools = load_tools()
    for project, cmds in buildspecs.items():
        for index, command in enumerate(cmds):
            if "curl" not in command and "wget" not in command:
                continue
            # A download only of a URL pinned in delivery/scanners.toml, to a file, never into a shell.
            [tool] = [t for t in tools.values() if t.url in command]
            assert command.startswith("curl --fail")
            assert f"--output {tool.download_path} {tool.url}" in command
            verify = cmds[index + 1]
            assert re.fullmatch(rf'echo "[0-9a-f]{{64}}  {re.escape(tool.download_path)}" \| sha256sum -c -', verify)
        for command in cmds:
            assert not re.search(r"\|\s*(sudo\s+)?(ba|z|da)?sh\b", command), (project, command)
            assert "latest" not in command.lower(), (project, command)
            assert not re.search(r"trivy[^\n]*0\.69\.[456]", command), (project, command)


def test_a_tool_without_checksum_fails_the_build_instead_of_installing(buildspecs: dict[str, list[str]]) -> None:
    # The shipped pins have empty checksums (to be filled from the vendors' files): each install is `exit 1`.
    tools = load_tools()
    expected = {
        "ScanCodeScan": ["trivy", "gitleaks"],
        "ScanImage": ["trivy", "grype"],
        "ReleaseImage": ["oras", "notation", "aws-signer-notation-plugin", "aws-signer-root-certificate"],
    }
    for marker, names in expected.items():
        projects = [p for p in buildspecs if marker in p]
        assert projects, marker
        for project in projects:
            text = "\n".join(buildspecs[project])
            for name in names:
                tool = tools[name]
                if tool.sha256 is None:
                    assert f"no sha256 for {name} {tool.version}" in text, (project, name)
                    assert "exit 1" in text, (project, name)
                    assert tool.url not in text, (project, name)
                else:
                    assert f'echo "{tool.sha256}  {tool.download_path}" | sha256sum -c -' in text, (project, name)


def test_python_scanners_install_with_hashes_and_npm_tools_are_pinned(buildspecs: dict[str, list[str]]) -> None:
    for project, cmds in buildspecs.items():
        for command in cmds:
            if "pip install" in command:
                assert "--require-hashes" in command, (project, command)
            for package in re.findall(r"npm install -g (\S+)", command):
                assert re.fullmatch(r"(@?[a-z0-9-]+)@\d+\.\d+\.\d+", package), (project, command)
    assert any("security-scan.sh" in c for cmds in buildspecs.values() for c in cmds)


def test_privileged_mode_only_on_the_image_project(template: dict) -> None:
    privileged = sorted(
        k
        for k, p in of_type(template, "AWS::CodeBuild::Project").items()
        if p["Properties"]["Environment"].get("PrivilegedMode")
    )
    assert len(privileged) == 1
    assert "ScanImage" in privileged[0]


def test_build_logs_encrypted_with_retention(template: dict) -> None:
    log_groups = of_type(template, "AWS::Logs::LogGroup")
    for logical_id, project in of_type(template, "AWS::CodeBuild::Project").items():
        logs_config = project["Properties"]["LogsConfig"]["CloudWatchLogs"]
        assert logs_config["Status"] == "ENABLED", logical_id
        group = log_groups[logs_config["GroupName"]["Ref"]]["Properties"]
        assert "KmsKeyId" in group, logical_id
        assert group["RetentionInDays"] == DELIVERY.log_retention_days, logical_id


def test_artifact_bucket_kms_and_tls_only(template: dict) -> None:
    [(bucket_id, bucket)] = of_type(template, "AWS::S3::Bucket").items()
    [rule] = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert "KMSMasterKeyID" in rule["ServerSideEncryptionByDefault"]
    assert bucket["Properties"]["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    [policy] = [
        p
        for p in of_type(template, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    assert {
        "Action": "s3:*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Resource": [
            {"Fn::GetAtt": [bucket_id, "Arn"]},
            {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/*"]]},
        ],
    } in policy["Properties"]["PolicyDocument"]["Statement"]


# --- the findings gate --------------------------------------------------------------------------


def test_findings_gate_function(template: dict) -> None:
    function = by_path(template, "FindingsGate/Function/Resource")["Properties"]
    assert function["Runtime"] == "python3.14"
    assert function["Handler"] == "findings_processor.handler.handler"
    assert function["ReservedConcurrentExecutions"] == 5
    assert function["TracingConfig"] == {"Mode": "Active"}
    assert "TargetArn" in function["DeadLetterConfig"]
    assert "KmsKeyArn" in function
    variables = function["Environment"]["Variables"]
    assert json.loads(variables["GATE_POLICY"]) == {
        env.name: {"block_at": env.gate.block_at, "coverage_gaps_block": env.gate.coverage_gaps_block}
        for env in ENVIRONMENTS
    }
    assert variables["IMPORT_FINDINGS"] == "true"
    assert variables["STRICT"] == "true"
    log_group = template["Resources"][function["LoggingConfig"]["LogGroup"]["Ref"]]["Properties"]
    assert "KmsKeyId" in log_group
    assert log_group["RetentionInDays"] == DELIVERY.log_retention_days


def test_findings_gate_role_statements_are_exact(template: dict) -> None:
    logical_id = role_id(template, "FindingsGate/Role")
    [policy] = inline_policies_of(template, logical_id)
    statements = render(policy["PolicyDocument"])["Statement"]
    ids = {
        name: role_id(template, path)
        for name, path in {
            "queue": "FindingsGate/DeadLetterQueue",
            "logs": "FindingsGate/LogGroup",
            "bucket": "Delivery/Pipeline/Pipeline/ArtifactsBucket",
            "key": "Delivery/Pipeline/Pipeline/ArtifactsBucketEncryptionKey",
        }.items()
    }
    assert statements == [
        # aws-cdk-lib: the dead-letter queue, and X-Ray plus the job results LambdaInvokeAction adds.
        {"Action": "sqs:SendMessage", "Effect": "Allow", "Resource": f"<{ids['queue']}.Arn>"},
        {
            "Action": [
                "codepipeline:PutJobFailureResult",
                "codepipeline:PutJobSuccessResult",
                "xray:PutTelemetryRecords",
                "xray:PutTraceSegments",
            ],
            "Effect": "Allow",
            "Resource": "*",
        },
        {
            "Action": "securityhub:BatchImportFindings",
            "Effect": "Allow",
            "Resource": PRODUCT,
            "Sid": "ImportFindingsIntoTheDefaultProduct",
        },
        {
            "Action": "securityhub:GetFindings",
            "Effect": "Allow",
            "Resource": "arn:<AWS::Partition>:securityhub:<AWS::Region>:<AWS::AccountId>:hub/default",
            "Sid": "ReadFindingsOfThisAccount",
        },
        {
            "Action": ["codepipeline:PutJobFailureResult", "codepipeline:PutJobSuccessResult"],
            "Effect": "Allow",
            "Resource": "*",
            "Sid": "AnswerPipelineJobs",
        },
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": f"<{ids['logs']}.Arn>",
        },
        {
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Effect": "Allow",
            "Resource": f"<{ids['bucket']}.Arn>/*",
            "Sid": "ReadAndWritePipelineArtifacts",
        },
        {
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Effect": "Allow",
            "Resource": f"<{ids['key']}.Arn>",
            "Sid": "UseTheArtifactKey",
        },
    ]
    assert "ManagedPolicyArns" not in by_path(template, "FindingsGate/Role/Resource")["Properties"]


# --- a different config: GitHub's immutable subject, another image repository -------------------


@pytest.fixture(scope="module")
def variant(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Templates of the whole app synthesized once from config with owner and repository ids set and the
    image repository renamed: stack artifact id -> template."""
    from stacks.platform import build_platform

    tmp_path = tmp_path_factory.mktemp("variant")
    config_dir = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, config_dir, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    defaults = config_dir / "defaults.toml"
    text = defaults.read_text()
    assert '# owner_id = "123456789"' in text
    assert '# repository_id = "987654321"' in text
    defaults.write_text(
        text.replace('# owner_id = "123456789"', 'owner_id = "123456789"').replace(
            '# repository_id = "987654321"', 'repository_id = "987654321"'
        )
    )
    delivery = config_dir / "delivery.toml"
    assert 'image_repository = "polls"' in delivery.read_text()
    delivery.write_text(delivery.read_text().replace('image_repository = "polls"', 'image_repository = "shop"'))
    app = new_app(tmp_path / "out")
    platform = build_platform(app, load_environments(None, config_dir), delivery=load_delivery(config_dir))
    assembly = app.synth()
    templates = {
        "Delivery": json.loads(
            Path(assembly.get_stack_artifact(platform.delivery.artifact_id).template_full_path).read_text()
        )
    }
    for stage in platform.stages:
        nested = assembly.get_nested_assembly(f"assembly-{stage.stage_name}")
        templates[f"{stage.stage_name}Data"] = json.loads(
            Path(nested.get_stack_artifact(stage.data.artifact_id).template_full_path).read_text()
        )
    return templates


def test_immutable_subject_when_owner_and_repository_ids_are_configured(variant: dict[str, dict[str, Any]]) -> None:
    # Given config with both ids / When the app is synthesized / Then every subject names the ids
    prefix = "repo:example-org@123456789/aws-devsecops-platform@987654321"
    for env in ENVIRONMENTS:
        context = f"environment:{env.name}" if env.approval_required else f"ref:refs/heads/{env.branch}"
        props = by_path(variant["Delivery"], f"DeployRoles/{env.stage_id}DeployRole/Resource")["Properties"]
        assert props["AssumeRolePolicyDocument"] == trust(f"{prefix}:{context}")
        drift = by_path(variant["Delivery"], f"DeployRoles/{env.stage_id}DriftRole/Resource")["Properties"]
        assert drift["AssumeRolePolicyDocument"] == trust(f"{prefix}:ref:refs/heads/main")
    diff = by_path(variant["Delivery"], "DeployRoles/DiffRole/Resource")["Properties"]
    assert diff["AssumeRolePolicyDocument"] == trust(f"{prefix}:pull_request")


def test_renamed_image_repository_is_the_one_each_data_stack_creates_and_the_pipeline_pushes_to(
    variant: dict[str, dict[str, Any]],
) -> None:
    # Given delivery.toml's image_repository = "shop" / When synthesized / Then both sides name <env>/shop
    pushed = json.dumps(variant["Delivery"])
    for env in ENVIRONMENTS:
        [repository] = of_type(variant[f"{env.stage_id}Data"], "AWS::ECR::Repository").values()
        assert repository["Properties"]["RepositoryName"] == f"{env.name}/shop"
        assert f'"{env.name}/shop"' in pushed
        assert f"{env.name}/polls" not in pushed


# --- the scan stage's entry point, run here ------------------------------------------------------


@pytest.fixture(scope="module")
def scan(synthesized, tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    # checkov reads a cdk.out; the Delivery template alone keeps the run short.
    cdk_out = tmp_path_factory.mktemp("scan-cdk-out")
    shutil.copy(synthesized.outdir / "Delivery.template.json", cdk_out)
    out = tmp_path_factory.mktemp("scan")
    result = subprocess.run(
        [
            str(REPO_ROOT / "scripts" / "security-scan.sh"),
            "--env",
            "prod",
            "--out",
            str(out),
            "--cdk-out",
            str(cdk_out),
            "--unavailable",
            "trivy-fs,trivy-config,gitleaks",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
        env={**os.environ, "PROCESSOR_PYTHON": str(REPO_ROOT / ".venv" / "bin" / "python")},
    )
    return result, out


def test_scan_writes_every_native_report(scan) -> None:
    result, out = scan
    assert result.returncode in (0, 1), result.stderr
    for name in ("bandit", "pip-audit", "semgrep", "checkov"):
        json.loads((out / "reports" / f"{name}.json").read_text())
    for name in ("trivy-fs", "trivy-config", "gitleaks"):
        assert f"{name} declared unavailable" in result.stderr
        assert not (out / "reports" / f"{name}.json").exists()


def test_scan_feeds_the_processor_and_publishes_its_outputs(scan) -> None:
    result, out = scan
    sarif = json.loads((out / "results" / "findings.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    # One run per scanner that reported something; bandit always does on this repository (asserts, subprocess).
    runs = {run["tool"]["driver"]["name"]: run for run in sarif["runs"]}
    assert set(runs) <= {"bandit", "pip-audit", "semgrep", "checkov"}
    assert runs["bandit"]["results"]
    junit = ET.parse(out / "results" / "findings.junit.xml").getroot()  # noqa: S314 - our own output
    assert junit.tag in ("testsuites", "testsuite")
    assert json.loads((out / "results" / "findings.asff.json").read_text()) is not None
    summary = (out / "results" / "summary.md").read_text()
    assert summary.strip()
    assert summary.strip() in result.stdout


def test_scan_exit_status_is_the_gate_verdict_for_the_target_environment(scan) -> None:
    result, out = scan
    summary = (out / "results" / "summary.md").read_text().lower()
    assert f"gate for prod exited {result.returncode}" in result.stderr
    # The summary states the same verdict the exit status carries.
    assert ("blocked" in summary) == (result.returncode == 1)


# --- snapshot -----------------------------------------------------------------------------------


def test_delivery_template_matches_snapshot(template: dict, snapshot: SnapshotAssertion) -> None:
    assert masked(template) == snapshot.use_extension(JSONSnapshotExtension)(name="Delivery")
