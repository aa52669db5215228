"""The drift parser: `cdk drift` text (wrapped by scripts/cdk_drift_report.py) becomes findings with stable ids."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from findings_processor.model import Category, Finding, Severity
from findings_processor.parsers import detect
from findings_processor.pipeline import ScanResult, parse_report, process
from tests.ci.conftest import REPO_ROOT

FIXTURE = REPO_ROOT / "tests" / "findings" / "fixtures" / "cdk-drift-dev.txt"


def _wrap(text: str, exit_code: int = 0, tmp: Path | None = None) -> bytes:
    # The nightly job's own wrapper, run as the job runs it.
    source = (tmp or Path("/nonexistent")) / "drift.txt"
    source.write_text(text, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "scripts/cdk_drift_report.py", "--env", "dev", "--exit-code", str(exit_code), str(source)],
        capture_output=True,
        check=True,
        cwd=REPO_ROOT,
    )
    return result.stdout


def _parse(raw: bytes) -> list[Finding]:
    scanner, findings, _ = parse_report("cdk-drift.json", lambda: raw)
    assert scanner == "cdk-drift"
    return findings


def test_fixture_becomes_one_finding_per_drifted_property_or_deleted_resource(tmp_path: Path) -> None:
    # Given the documented output of `cdk drift` for dev / When parsed
    findings = _parse(_wrap(FIXTURE.read_text(encoding="utf-8"), tmp=tmp_path))
    # Then each drifted property and each deleted resource is one finding, at its place
    assert sorted((f.rule_id, f.resource) for f in findings) == sorted(
        [
            ("CDK_DRIFT_MODIFIED", "Dev/Network/NetworkFlowLogGroup4F8CEEEF/RetentionInDays"),
            ("CDK_DRIFT_MODIFIED", "Dev/Data/DatabaseInstanceAA8A5FDE/BackupRetentionPeriod"),
            ("CDK_DRIFT_MODIFIED", "Dev/Data/DatabaseInstanceAA8A5FDE/PubliclyAccessible"),
            ("CDK_DRIFT_MODIFIED", "Dev/Data/DatabaseSecurityGroup5C91FDCB/SecurityGroupIngress/0/CidrIp"),
            ("CDK_DRIFT_MODIFIED", "Dev/Service/WebServiceTaskDefinitionTaskRole6AE378A2/ManagedPolicyArns/0"),
            (
                "CDK_DRIFT_DELETED",
                "Dev/Service/WebServiceSecurityGroupfromDevServiceLoadBalancerSecurityGroup991CB65A8080B30AF3CE",
            ),
        ]
    )
    by_resource = {f.resource: f for f in findings}
    # Access control changed by hand is HIGH; other drift MEDIUM; a deleted resource HIGH.
    assert by_resource["Dev/Data/DatabaseSecurityGroup5C91FDCB/SecurityGroupIngress/0/CidrIp"].severity is Severity.HIGH
    assert by_resource["Dev/Network/NetworkFlowLogGroup4F8CEEEF/RetentionInDays"].severity is Severity.MEDIUM
    assert all(f.category is Category.MISCONFIGURATION for f in findings)
    assert len({f.fingerprint for f in findings}) == len(findings)
    # A construct path with a space keeps the logical id as the last word.
    deleted = next(f for f in findings if f.rule_id == "CDK_DRIFT_DELETED")
    assert "Service/WebService/SecurityGroup/from DevServiceLoadBalancerSecurityGroup991CB65A:8080" in deleted.title


def test_same_input_twice_gives_the_same_ids(tmp_path: Path) -> None:
    raw = _wrap(FIXTURE.read_text(encoding="utf-8"), tmp=tmp_path)
    assert [f.fingerprint for f in _parse(raw)] == [f.fingerprint for f in _parse(raw)]


def test_changed_values_keep_the_ids_and_are_not_copied(tmp_path: Path) -> None:
    # Given the same drift with other actual values (a CIDR, a retention) / Then the ids do not move
    text = FIXTURE.read_text(encoding="utf-8")
    changed = text.replace("└─ [+] 0.0.0.0/0", "└─ [+] 192.0.2.0/24").replace("└─ [+] 3", "└─ [+] 1")
    assert changed != text
    before, after = _parse(_wrap(text, tmp=tmp_path)), _parse(_wrap(changed, tmp=tmp_path))
    assert [f.fingerprint for f in before] == [f.fingerprint for f in after]
    assert not any("0.0.0.0/0" in f"{f.title} {f.description}" for f in before)


def test_another_property_or_stack_is_another_id(tmp_path: Path) -> None:
    text = FIXTURE.read_text(encoding="utf-8")
    ids = {f.fingerprint for f in _parse(_wrap(text, tmp=tmp_path))}
    moved = text.replace("/RetentionInDays", "/KmsKeyId").replace("Stack Dev/Data", "Stack Qa/Data")
    moved_ids = {f.fingerprint for f in _parse(_wrap(moved, tmp=tmp_path))}
    assert len(ids - moved_ids) == 4  # the log group property and the three Data findings


def test_colour_codes_are_read_past(tmp_path: Path) -> None:
    plain = FIXTURE.read_text(encoding="utf-8")
    coloured = plain.replace("[~]", "\x1b[33m[~]\x1b[39m").replace("Stack Dev/Data", "Stack \x1b[1mDev/Data\x1b[22m")
    assert [f.fingerprint for f in _parse(_wrap(coloured, tmp=tmp_path))] == [
        f.fingerprint for f in _parse(_wrap(plain, tmp=tmp_path))
    ]


def test_no_drift_is_no_finding_and_a_failed_run_is_a_gap(tmp_path: Path) -> None:
    clean = _wrap("Stack Dev/Keys\nNo drift detected\n\n\u2728  Number of resources with drift: 0\n", tmp=tmp_path)
    assert _parse(clean) == []
    failed = _wrap("Unable to resolve AWS account to use. It must be either configured\n", 1, tmp=tmp_path)
    (drift_json := tmp_path / "cdk-drift.json").write_bytes(failed)
    result: ScanResult = process([(str(drift_json), drift_json.read_bytes)])
    assert result.findings == []
    assert [gap.reason for gap in result.gaps] == ["cdk drift failed with exit status 1"]


def test_unavailable_stack_results_are_a_gap(tmp_path: Path) -> None:
    raw = _wrap("Dev/Data: No drift results available\n", 0, tmp=tmp_path)
    _, findings, ctx = parse_report("d.json", lambda: raw)
    assert findings == []
    assert [gap.what for gap in ctx.gaps] == ["Dev/Data"]


def test_the_wrapper_is_recognised_and_other_reports_are_not_mistaken_for_it(tmp_path: Path) -> None:
    doc = json.loads(_wrap("", tmp=tmp_path))
    assert doc["cdk_drift"]["format_version"] == 1
    assert detect(doc, "x.json")[0] == "cdk-drift"
    assert detect({"results": [], "errors": []}, "x.json")[0] != "cdk-drift"
