"""bandit, semgrep (with the repository's own rules) and pip-audit run for real on this project."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from findings_processor.cli import main
from findings_processor.pipeline import parse_report

from .conftest import REPO_ROOT

SCANNERS = REPO_ROOT / ".venv-scanners" / "bin"
TARGETS = [name for name in ("lambda", "config", "stacks", "components") if (REPO_ROOT / name).is_dir()]


@pytest.fixture(scope="session")
def real_reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (SCANNERS / "bandit").exists():
        pytest.fail(f"scanners are not installed in {SCANNERS}: run `make setup`")
    out = tmp_path_factory.mktemp("real-reports")
    # bandit exits 1 when it finds something: the report, not the exit code, is what matters here.
    subprocess.run(
        [str(SCANNERS / "bandit"), "-r", *TARGETS, "-f", "json", "-o", str(out / "bandit.json"), "-q"],
        cwd=REPO_ROOT,
        check=False,
        timeout=120,
    )
    subprocess.run(
        [
            *(str(SCANNERS / "semgrep"), "scan", "--metrics=off", "--config", "semgrep-rules/", "--json"),
            *("--output", str(out / "semgrep.json"), "--quiet", "--disable-version-check", *TARGETS),
        ],
        cwd=REPO_ROOT,
        check=False,
        timeout=180,
    )
    # The vulnerability service is unreachable from here: pip-audit reports every dependency as not audited.
    audit = subprocess.run(
        [
            *(str(SCANNERS / "pip-audit"), "-r", "requirements.txt", "-f", "json", "--progress-spinner", "off"),
            *("--timeout", "5", "--no-deps", "--disable-pip"),
        ],
        cwd=REPO_ROOT,
        check=False,
        timeout=120,
        capture_output=True,
        text=True,
    )
    (out / "pip-audit.json").write_text(audit.stdout or "")
    return out


def test_bandit_report_of_this_project_goes_through(real_reports: Path) -> None:
    report = real_reports / "bandit.json"
    assert report.stat().st_size > 0
    raw = json.loads(report.read_text())
    scanner, findings, ctx = parse_report(str(report), report.read_bytes)
    assert scanner == "bandit"
    assert len(findings) == len(raw["results"])
    assert len(ctx.gaps) == len(raw["errors"])


def test_semgrep_report_of_this_project_goes_through(real_reports: Path) -> None:
    report = real_reports / "semgrep.json"
    assert report.stat().st_size > 0
    raw = json.loads(report.read_text())
    scanner, findings, ctx = parse_report(str(report), report.read_bytes)
    assert scanner == "semgrep"
    assert len(findings) == len({(r["check_id"], r["path"], r["start"]["line"]) for r in raw["results"]})
    assert len(ctx.gaps) == len(raw["errors"])


def test_pip_audit_that_could_not_audit_is_a_coverage_gap(real_reports: Path, tmp_path: Path) -> None:
    report = real_reports / "pip-audit.json"
    raw = json.loads(report.read_text())
    skipped = [d for d in raw["dependencies"] if d.get("skip_reason")]
    assert skipped, "pip-audit is expected to be unable to reach its vulnerability service here"
    scanner, findings, ctx = parse_report(str(report), report.read_bytes)
    assert scanner == "pip-audit"
    assert len(ctx.gaps) == len(skipped)
    summary = tmp_path / "summary.md"
    common = ["--config-dir", str(REPO_ROOT / "config"), "--summary", str(summary), "-q"]
    # Enterprise environments block on coverage gaps; lean ones report them.
    assert main(["process", str(report), "--env", "prod", *common]) == 1
    assert "coverage gap" in summary.read_text()
    assert main(["process", str(report), "--env", "dev", *common]) == (1 if findings else 0)
    assert "not blocking here" in summary.read_text()


def test_all_real_reports_together(real_reports: Path, tmp_path: Path, sarif_validator: object) -> None:
    sarif = tmp_path / "out.sarif"
    status = main(
        [
            *("process", str(real_reports), "--env", "qa", "--config-dir", str(REPO_ROOT / "config")),
            *("--sarif", str(sarif), "--summary", str(tmp_path / "s.md"), "--strict", "-q"),
        ]
    )
    assert status in (0, 1)  # never an input error: all three reports are readable
    assert not list(sarif_validator.iter_errors(json.loads(sarif.read_text())))  # type: ignore[attr-defined]
