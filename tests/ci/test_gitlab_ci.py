"""The GitLab CI definition: stages, rules, OIDC audience, and the branch mapping of config."""

from __future__ import annotations

import re
from typing import Any

from config.loader import load_environments

MAPPED = re.compile(r'\$CI_COMMIT_BRANCH == "(?P<branch>[^"]+)"')


def _deploy_jobs(gitlab: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: job for name, job in gitlab.items() if name.startswith("deploy:")}


def test_stages(gitlab: dict[str, Any]) -> None:
    assert gitlab["stages"] == ["test", "diff", "deploy", "drift"]


def test_every_role_assumption_has_the_sts_audience(gitlab: dict[str, Any]) -> None:
    jobs = [name for name, job in gitlab.items() if isinstance(job, dict) and "id_tokens" in job]
    assert set(jobs) == {"diff", ".deploy", "drift"}
    for name in jobs:
        assert gitlab[name]["id_tokens"] == {"AWS_ID_TOKEN": {"aud": "sts.amazonaws.com"}}, name
    # Deploy jobs inherit the token from .deploy and nothing else gets one.
    for name, job in _deploy_jobs(gitlab).items():
        assert job["extends"] == ".deploy", name


def test_branch_mapping_equals_config(gitlab: dict[str, Any]) -> None:
    # Given each deploy job's rule and environment / Then branch -> environment is the config's
    mapping = {}
    for name, job in _deploy_jobs(gitlab).items():
        (rule,) = job["rules"]
        match = MAPPED.search(rule["if"])
        assert match, f"{name}: rule {rule['if']!r} names no branch"
        assert '$CI_PIPELINE_SOURCE == "push"' in rule["if"]
        mapping[match["branch"]] = job["environment"]["name"]
        assert name == f"deploy:{job['environment']['name']}"
        assert job["resource_group"] == f"deploy-{job['environment']['name']}"
    assert mapping == {e.branch: e.name for e in load_environments()}


def test_workflow_rules_name_the_config_branches(gitlab: dict[str, Any]) -> None:
    branches = "|".join(e.branch for e in load_environments())
    conditions = [rule["if"] for rule in gitlab["workflow"]["rules"]]
    assert f"$CI_MERGE_REQUEST_TARGET_BRANCH_NAME =~ /^({branches})$/" in conditions[0]
    assert f"$CI_COMMIT_BRANCH =~ /^({branches})$/" in conditions[1]
    assert '$CI_PIPELINE_SOURCE == "schedule"' in conditions


def test_approval_environments_start_by_hand(gitlab: dict[str, Any]) -> None:
    for environment in load_environments():
        (rule,) = gitlab[f"deploy:{environment.name}"]["rules"]
        if environment.approval_required:
            assert rule.get("when") == "manual", environment.name
            assert rule.get("allow_failure") is False, environment.name
        else:
            assert "when" not in rule, environment.name


def test_deploy_waits_for_the_checks_and_uses_the_environment_role(gitlab: dict[str, Any]) -> None:
    deploy = gitlab[".deploy"]
    assert deploy["needs"] == ["checks"]
    assert deploy["variables"]["ROLE_ARN"] == "$AWS_DEPLOY_ROLE_ARN"
    assert deploy["interruptible"] is False


def test_checks_run_on_merge_requests_and_pushes_with_junit(gitlab: dict[str, Any]) -> None:
    checks = gitlab["checks"]
    assert [rule["if"] for rule in checks["rules"]] == [
        '$CI_PIPELINE_SOURCE == "merge_request_event"',
        '$CI_PIPELINE_SOURCE == "push"',
    ]
    assert checks["artifacts"]["reports"] == {"junit": "scan/results/findings.junit.xml"}
    script = "\n".join(map(str, _flatten(checks["script"])))
    for command in ("make test", "make synth", "scripts/install-scanner.sh gitleaks", "scripts/security-scan.sh"):
        assert command in script


def test_diff_only_on_merge_requests(gitlab: dict[str, Any]) -> None:
    assert gitlab["diff"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert "--method template" in "\n".join(map(str, _flatten(gitlab["diff"]["script"])))


def test_drift_every_environment_on_schedule(gitlab: dict[str, Any]) -> None:
    drift = gitlab["drift"]
    assert drift["rules"][0] == {"if": '$CI_PIPELINE_SOURCE == "schedule"'}
    (matrix,) = drift["parallel"]["matrix"]
    assert matrix["DRIFT_ENVIRONMENT"] == [e.name for e in load_environments()]
    script = "\n".join(map(str, _flatten(drift["script"])))
    assert "cdk drift" in script
    assert "--import" in script


def _flatten(items: list[Any]) -> list[Any]:
    # YAML anchors put lists inside `script`; GitLab flattens them the same way.
    flat: list[Any] = []
    for item in items:
        flat.extend(_flatten(item) if isinstance(item, list) else [item])
    return flat
