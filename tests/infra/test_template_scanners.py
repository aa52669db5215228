"""cfn-lint and checkov over every synthesized template: nothing reported, skips only in metadata."""

from __future__ import annotations

import json
import subprocess

from tests.conftest import REPO_ROOT

CHECKOV = REPO_ROOT / ".venv-scanners" / "bin" / "checkov"
CFN_LINT = REPO_ROOT / ".venv" / "bin" / "cfn-lint"


def templates(synthesized) -> list[str]:
    # Environment stacks sit in their stage's nested assembly; account baselines at the top level.
    paths = [*synthesized.outdir.glob("assembly-*/*.template.json"), *synthesized.outdir.glob("*.template.json")]
    return sorted(str(path) for path in paths)


def test_cfn_lint_reports_nothing_including_informational_rules(synthesized) -> None:
    # --include-checks I adds the informational rules, among them I3011 (stateful resources
    # without explicit deletion and update-replace policies).
    paths = templates(synthesized)
    app_level = len(synthesized.baseline_templates) + (synthesized.delivery_template is not None)
    assert len(paths) == len(synthesized.templates) + app_level
    result = subprocess.run(
        [str(CFN_LINT), "--include-checks", "I", "--format", "parseable", "--", *paths],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.stdout == "", result.stdout
    assert result.returncode == 0, result.stderr


def test_checkov_fails_no_check_and_every_skip_carries_a_comment(synthesized) -> None:
    result = subprocess.run(
        [
            str(CHECKOV),
            "--directory",
            str(synthesized.outdir),
            "--framework",
            "cloudformation",
            # Lambda asset folders are code bundles, not templates.
            "--skip-path",
            r"asset\.",
            "--output",
            "json",
            # Offline: no guideline download from the vendor's platform.
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [
        (check["check_id"], check["file_path"], check["resource"])
        for report in reports
        for check in report["results"]["failed_checks"]
    ]
    assert failed == []
    summary = reports[0]["summary"]
    assert summary["parsing_errors"] == 0
    assert summary["passed"] > 100
    skipped = [check for report in reports for check in report["results"]["skipped_checks"]]
    assert skipped, "expected the documented skips to be reported as skipped"
    for check in skipped:
        assert len(check["check_result"].get("suppress_comment", "")) > 20, check["check_id"]
